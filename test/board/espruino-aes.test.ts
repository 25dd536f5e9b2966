/**
 * The board's AES seam (firmware/src/board/espruino/espruino-aes.ts) over a stand-in for
 * Espruino's require('crypto').AES made with node:crypto: single blocks, and the bulk CBC calls
 * CMAC and C-DEC use, must give the answers of the portable SoftAes path.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EspruinoAesCipher } from '../../firmware/src/board/espruino/espruino-aes';
import type { EspruinoAes } from '../../firmware/src/board/espruino/espruino-api';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { cbcDecrypt } from '../../firmware/src/core/crypto/cbc';
import { Cmac } from '../../firmware/src/core/crypto/cmac';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { pseudoRandomBytes } from '../crypto/_reference';

/** ECB and CBC (with options.iv, zero when absent) as libs/crypto/jswrap_crypto.c does them. */
const nodeAes = (decrypt: boolean) => (message: Uint8Array, key: Uint8Array, options: { mode: string; iv?: Uint8Array }): ArrayBuffer => {
  const algorithm = `aes-${key.length * 8}-${options.mode.toLowerCase()}`;
  const iv = options.mode === 'ECB' ? null : Buffer.from(options.iv ?? new Uint8Array(16));
  const c = decrypt ? createDecipheriv(algorithm, key, iv) : createCipheriv(algorithm, key, iv);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(message), c.final()]);
  return new Uint8Array(out).buffer;
};
const STAND_IN: EspruinoAes = { encrypt: nodeAes(false), decrypt: nodeAes(true) };

function keyed<T extends SoftAes | EspruinoAesCipher>(cipher: T, key: Uint8Array): T {
  cipher.setKey(key, 0, key.length);
  return cipher;
}

describe('EspruinoAesCipher (native AES seam)', () => {
  const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');

  it('RFC 4493 Example 4: CMAC over 64 bytes, three blocks of them in one CBC call', () => {
    const mac = new Cmac(keyed(new EspruinoAesCipher(STAND_IN), key));
    const out = new Uint8Array(16);
    mac.start();
    mac.update(fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710'), 0, 64);
    mac.finish(out, 0);
    expect(toHex(out)).toBe('51f0bebf7e3b9d92fc49741779363cfe');
  });

  it('gives SoftAes answers: blocks, CMAC of 0..80 bytes fed in uneven pieces, CBC decryption in place and not', () => {
    const board = keyed(new EspruinoAesCipher(STAND_IN), key);
    const soft = keyed(new SoftAes(), key);
    const block = pseudoRandomBytes(1, 16);
    const a = new Uint8Array(16);
    const b = new Uint8Array(16);
    board.encryptBlock(block, 0, a, 0);
    soft.encryptBlock(block, 0, b, 0);
    expect(toHex(a)).toBe(toHex(b));
    board.decryptBlock(block, 0, a, 0);
    soft.decryptBlock(block, 0, b, 0);
    expect(toHex(a)).toBe(toHex(b));

    const boardMac = new Cmac(board);
    const softMac = new Cmac(soft);
    const data = pseudoRandomBytes(2, 80);
    for (let len = 0; len <= 80; len++) {
      boardMac.start();
      softMac.start();
      for (let at = 0; at < len; at += 7) boardMac.update(data, at, Math.min(7, len - at));
      softMac.update(data, 0, len);
      boardMac.finish(a, 0);
      softMac.finish(b, 0);
      expect(toHex(a), `${len} bytes`).toBe(toHex(b));
    }

    const iv = pseudoRandomBytes(3, 16);
    for (const len of [16, 48, 240]) {
      const cipherText = pseudoRandomBytes(4 + len, len + 3);
      const want = new Uint8Array(len);
      const got = new Uint8Array(len + 5);
      cbcDecrypt(soft, iv, 0, cipherText, 3, len, want, 0);
      cbcDecrypt(board, iv, 0, cipherText, 3, len, got, 5);
      expect(toHex(got, 5, len)).toBe(toHex(want));
      cbcDecrypt(board, iv, 0, cipherText, 3, len, cipherText, 3);
      expect(toHex(cipherText, 3, len)).toBe(toHex(want));
    }
  });

  it('refuses to work without a key, and after wipe()', () => {
    const board = new EspruinoAesCipher(STAND_IN);
    const out = new Uint8Array(16);
    expect(() => board.encryptBlock(out, 0, out, 0)).toThrow(/no key set/);
    keyed(board, key).wipe();
    expect(() => board.cbcMac(out, 0, new Uint8Array(32), 0, 32)).toThrow(/no key set/);
  });
});
