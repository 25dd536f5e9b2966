/**
 * Bench entry for the real Espruino interpreter (bench/_interpreter-se.ts builds it with the
 * firmware's build and runs it): boots the board's SE on Storage exactly as the firmware's main()
 * does (se-boot.ts, storage-flash.ts) and puts probes on the console:
 *
 *   seStart(tables)  boots the SE; tables true: the DES round tables from Storage as on the board
 *   seApdu(hex)      one APDU through SecureElement.transceive():
 *                    "response-hex seconds flash-seconds jsvars-in-use"
 *   loopSeconds(n)   seconds for n iterations of an empty for loop
 *   seSizes()        E.getSizeOf of the SE's main parts, one "name jsvars" per line
 *
 * flash-seconds is the part of the APDU spent in Storage calls (native code reading and writing
 * the flash: on this Linux build a file, on an ESP32 memory-mapped reads and slow SPI writes), so
 * the bench can tell interpreter time, which loop units carry to a board, from flash time, which
 * they do not. No PN532 and no link: this times the SE alone.
 */
import { bootSecureElement } from '../../firmware/src/board/espruino/se-boot';
import { storedDesTables } from '../../firmware/src/board/espruino/des-table-file';
import { buildDesTables } from '../../firmware/src/board/espruino/word-des';
import { StorageFlash } from '../../firmware/src/board/espruino/storage-flash';
import { FLASH_FILE_PREFIX, FLASH_PAGE_COUNT } from '../../firmware/src/board/espruino/board-config';
import { byteSum, storage, type EspruinoStorage } from '../../firmware/src/board/espruino/espruino-api';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { MAX_COMMAND_LEN, MAX_RESPONSE_LEN, type SecureElement } from '../../firmware/src/core/se/secure-element';

declare function getTime(): number;
declare function print(...values: unknown[]): void;
declare const global: { [name: string]: unknown };
declare const process: { memory(gc: boolean): { usage: number } };
declare const E: { getSizeOf(v: unknown): number };

let flashSeconds = 0;

function since(start: number): void {
  flashSeconds += getTime() - start;
}

/** Storage with the four calls StorageFlash makes timed (it uses no other). */
function timedStorage(s: EspruinoStorage): EspruinoStorage {
  const timed = {
    read(name: string, offset?: number, length?: number): string | undefined {
      const start = getTime();
      const r = s.read(name, offset, length);
      since(start);
      return r;
    },
    readArrayBuffer(name: string): ArrayBuffer | undefined {
      const start = getTime();
      const r = s.readArrayBuffer(name);
      since(start);
      return r;
    },
    write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean {
      const start = getTime();
      const r = s.write(name, data, offset, size);
      since(start);
      return r;
    },
    erase(name: string): void {
      const start = getTime();
      s.erase(name);
      since(start);
    },
  };
  return timed as unknown as EspruinoStorage;
}

const KEY = fromHex('404142434445464748494a4b4c4d4e4f');
let se: SecureElement | null = null;

/**
 * Boots the SE. tablesInStorage: the DES round tables from their Storage file, as the board reads
 * them (des-table-file.ts); false: built in RAM, beside the code of the 'ram' run (on this Linux
 * build a table read from Storage is a file read, which a board's mapped flash does not pay).
 */
global.seStart = (tablesInStorage: boolean): void => {
  const st = timedStorage(storage());
  const provisioning = { serial: fromHex('0102030405060708090a'), isdKeyVersion: 0x30, enc: KEY, mac: KEY, dek: KEY };
  se = bootSecureElement(new StorageFlash(st, FLASH_FILE_PREFIX, FLASH_PAGE_COUNT, byteSum), provisioning, tablesInStorage ? storedDesTables(st) : buildDesTables().buffer);
};

function booted(): SecureElement {
  if (se === null) throw new Error('probe: seStart() first');
  return se;
}
const command = new Uint8Array(MAX_COMMAND_LEN);
const response = new Uint8Array(MAX_RESPONSE_LEN);

global.seApdu = (hex: string): string => {
  const apdu = fromHex(hex);
  command.set(apdu, 0);
  flashSeconds = 0;
  const start = getTime();
  const n = booted().transceive(command, apdu.length, response);
  const seconds = getTime() - start;
  return toHex(response, 0, n) + ' ' + seconds + ' ' + flashSeconds + ' ' + process.memory(false).usage;
};

global.loopSeconds = (n: number): number => {
  const start = getTime();
  for (let i = 0; i < n; i++) {
    // the calibration loop: empty on purpose
  }
  return getTime() - start;
};

global.seSizes = (): void => {
  const se = booted();
  const parts: [string, unknown][] = [
    ['secure element (all)', se],
    ['store', se.store],
    ['registry', se.registry],
    ['card manager', se.cardManager],
    ['ISD, secure channel, loader, installer', se.isd],
    ['card slots and their applets', se.slots],
  ];
  for (let i = 0; i < parts.length; i++) print('SIZE ' + E.getSizeOf(parts[i][1]) + ' ' + parts[i][0]);
};
