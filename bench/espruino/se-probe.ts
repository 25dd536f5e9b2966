/**
 * Bench entry for the real Espruino interpreter (bench/_interpreter-se.ts builds it with the
 * firmware's build and runs it): boots the board's SE on Storage exactly as the firmware's main()
 * does (se-boot.ts, storage-flash.ts) and puts probes on the console:
 *
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
import { StorageFlash } from '../../firmware/src/board/espruino/storage-flash';
import { FLASH_FILE_PREFIX, FLASH_PAGE_COUNT } from '../../firmware/src/board/espruino/board-config';
import { byteSum, storage, type EspruinoStorage } from '../../firmware/src/board/espruino/espruino-api';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { MAX_COMMAND_LEN, MAX_RESPONSE_LEN } from '../../firmware/src/core/se/secure-element';

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
const se = bootSecureElement(new StorageFlash(timedStorage(storage()), FLASH_FILE_PREFIX, FLASH_PAGE_COUNT, byteSum), {
  serial: fromHex('0102030405060708090a'),
  isdKeyVersion: 0x30,
  enc: KEY,
  mac: KEY,
  dek: KEY,
});
const command = new Uint8Array(MAX_COMMAND_LEN);
const response = new Uint8Array(MAX_RESPONSE_LEN);

global.seApdu = (hex: string): string => {
  const apdu = fromHex(hex);
  command.set(apdu, 0);
  flashSeconds = 0;
  const start = getTime();
  const n = se.transceive(command, apdu.length, response);
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
