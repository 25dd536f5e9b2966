/**
 * The SE core on the host: a SecureElement over a file- or memory-backed flash, with the pure
 * TypeScript ciphers and node:crypto randomness, exposed as a contactless CardDevice for the vpcd
 * link. `tapcard se serve`, the terminal and the tests build their SE here.
 */
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { fromHex } from '../../firmware/src/core/hex';
import type { AppletClass } from '../../firmware/src/core/se/applet';
import { MAX_RESPONSE_LEN, SecureElement } from '../../firmware/src/core/se/secure-element';
import type { Flash } from '../../firmware/src/core/ports/flash';
import type { Random } from '../../firmware/src/core/ports/random';
import { FileFlash } from '../flash/file-flash';
import type { CardDevice } from '../vpcd/card-device';
import { BUILT_IN_APPLET_CLASSES } from '../../firmware/src/core/applets/built-in';

/** GPPro's default test key (docs/standards.md "Keys"). Development only: never for a deployed SE. */
export const DEV_ISD_KEY = '404142434445464748494a4b4c4d4e4f';
export const DEV_KVN = 0x30;
/** 256 pages of 4 KB: 1 MB of flash for the SE store. */
export const DEFAULT_FLASH_PAGES = 256;
export const STATE_FILE = 'se-flash.bin';

/** Octets drawn from node:crypto at a time for nodeRandom. */
const RANDOM_POOL = 4096;
const pool = Buffer.alloc(RANDOM_POOL);
let poolUsed = RANDOM_POOL;

/**
 * node:crypto's CSPRNG behind the core's Random port (the board's is E.hwRand), drawn RANDOM_POOL
 * octets at a time: one randomFillSync costs about 4 us of CPU here whatever its length, and the SE
 * and the MCU ask for 8 octets at a time (challenges, a purse transaction's random), so a terminal
 * spent that per request. Each pooled octet is handed out once and zeroed in the pool as it goes;
 * requests longer than the pool are filled directly.
 */
export const nodeRandom: Random = {
  fill(out, off, len) {
    if (len > RANDOM_POOL) {
      randomFillSync(out, off, len);
      return;
    }
    if (poolUsed + len > RANDOM_POOL) {
      randomFillSync(pool);
      poolUsed = 0;
    }
    out.set(pool.subarray(poolUsed, poolUsed + len), off);
    pool.fill(0, poolUsed, poolUsed + len);
    poolUsed += len;
  },
};

export interface VirtualSeOptions {
  flash: Flash;
  /** 10-byte SE serial (hex or bytes); random when absent. */
  serial?: Uint8Array;
  /** ISD key (K-ENC = K-MAC = K-DEK) for first boot; DEV_ISD_KEY when absent. */
  isdKey?: Uint8Array;
  kvn?: number;
  appletClasses?: AppletClass[];
}

export function createSecureElement(options: VirtualSeOptions): SecureElement {
  const key = options.isdKey ?? fromHex(DEV_ISD_KEY);
  const serial = options.serial ?? randomSerial();
  return new SecureElement({
    flash: options.flash,
    random: nodeRandom,
    aes: () => new SoftAes(),
    des: () => new SoftDes(),
    tripleDes: () => new SoftTripleDes(),
    serial,
    appletClasses: options.appletClasses ?? BUILT_IN_APPLET_CLASSES,
    initialKeys: { kvn: options.kvn ?? DEV_KVN, enc: key, mac: key, dek: key },
  });
}

function readSerialFile(file: string): Uint8Array {
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^([0-9a-fA-F]{2}){1,16}$/.test(text)) throw new Error(`${file}: expected the SE serial as hex (e.g. 20 digits), got '${text.slice(0, 40)}'`);
  return fromHex(text);
}

/** Opens (or creates) the SE state in dir: its flash image and its serial number. */
export function openStateDir(dir: string, options: Omit<VirtualSeOptions, 'flash'> = {}): SecureElement {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const serialFile = path.join(dir, 'se-serial.txt');
  let serial = options.serial;
  if (serial === undefined && fs.existsSync(serialFile)) serial = readSerialFile(serialFile);
  serial ??= randomSerial();
  if (!fs.existsSync(serialFile)) fs.writeFileSync(serialFile, Buffer.from(serial).toString('hex') + '\n');
  const se = createSecureElement({ ...options, serial, flash: new FileFlash(path.join(dir, STATE_FILE), DEFAULT_FLASH_PAGES) });
  se.boot();
  return se;
}

function randomSerial(): Uint8Array {
  const s = new Uint8Array(10);
  nodeRandom.fill(s, 0, s.length);
  return s;
}

/** The SE as the card side of a contactless link. */
export class SeCardDevice implements CardDevice {
  readonly se: SecureElement;
  private readonly out = new Uint8Array(MAX_RESPONSE_LEN);

  constructor(se: SecureElement) {
    this.se = se;
  }

  powerOn(): Uint8Array {
    return this.atrCopy(this.se.reset());
  }

  powerOff(): void {
    this.se.powerOff();
  }

  reset(): Uint8Array {
    return this.atrCopy(this.se.reset());
  }

  atr(): Uint8Array {
    return this.atrCopy(this.se.atrLen);
  }

  transmit(apdu: Uint8Array): Uint8Array {
    const n = this.se.transceive(apdu, apdu.length, this.out);
    return this.out.slice(0, n);
  }

  private atrCopy(len: number): Uint8Array {
    return this.se.atr.slice(0, len);
  }
}
