/**
 * The Node shells' AES engines behind the core's BlockCipher seam, the platform's NodeAes
 * (net/crypto/node-aes.ts, node:crypto) and the host terminal's NobleAes (net/crypto/noble-aes.ts, @noble/ciphers),
 * against published vectors and against the portable SoftAes the board runs: single blocks, the
 * core's CBC modes and CMAC going through their bulk calls, at offsets and in place.
 */
import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import type { BlockCipher } from '../../firmware/src/core/crypto/block-cipher';
import { cbcDecrypt, cbcEncrypt } from '../../firmware/src/core/crypto/cbc';
import { Cmac, cmac } from '../../firmware/src/core/crypto/cmac';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { NodeAes } from '../../net/crypto/node-aes';
import { NobleAes } from '../../net/crypto/noble-aes';
import { pseudoRandomBytes } from './_reference';

// FIPS-197 Appendix C: plaintext 00112233445566778899aabbccddeeff under keys 00 01 02 ..
const FIPS197_PT = '00112233445566778899aabbccddeeff';
const FIPS197 = [
  { clause: 'C.1 AES-128', key: '000102030405060708090a0b0c0d0e0f', ct: '69c4e0d86a7b0430d8cdb78070b4c55a' },
  { clause: 'C.2 AES-192', key: '000102030405060708090a0b0c0d0e0f1011121314151617', ct: 'dda97ca4864cdfe06eaf70a0ec0d7191' },
  { clause: 'C.3 AES-256', key: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', ct: '8ea2b7ca516745bfeafc49904b496089' },
];
// NIST SP 800-38A Appendix F.2.1/F.2.2 (CBC-AES128) and F.2.5/F.2.6 (CBC-AES256).
const SP800_38A_IV = '000102030405060708090a0b0c0d0e0f';
const SP800_38A_PT =
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710';
const SP800_38A_CBC = [
  {
    clause: 'F.2.1/F.2.2 CBC-AES128',
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    ct: '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7',
  },
  {
    clause: 'F.2.5/F.2.6 CBC-AES256',
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    ct: 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b',
  },
];
// RFC 4493 §4 Examples 1-4 (AES-128 CMAC over the first 0, 16, 40 and 64 bytes of the F.2 plaintext).
const RFC4493 = [
  { len: 0, mac: 'bb1d6929e95937287fa37d129b756746' },
  { len: 16, mac: '070a16b46b4d4144f79bdd9dd04a287c' },
  { len: 40, mac: 'dfa66747de9ae63030ca32611497c827' },
  { len: 64, mac: '51f0bebf7e3b9d92fc49741779363cfe' },
];

function keyed<T extends BlockCipher>(cipher: T, key: Uint8Array): T {
  cipher.setKey(key, 0, key.length);
  return cipher;
}

const ENGINES: [string, () => BlockCipher][] = [
  ['NodeAes', () => new NodeAes()],
  ['NobleAes', () => new NobleAes()],
];

for (const [name, make] of ENGINES) {
  describe(`${name}: published vectors`, () => {
    for (const v of FIPS197) {
      it(`FIPS-197 ${v.clause}: one block each way`, () => {
        const aes = keyed(make(), fromHex(v.key));
        const out = new Uint8Array(16);
        aes.encryptBlock(fromHex(FIPS197_PT), 0, out, 0);
        expect(toHex(out)).toBe(v.ct);
        aes.decryptBlock(fromHex(v.ct), 0, out, 0);
        expect(toHex(out)).toBe(FIPS197_PT);
      });
    }

    for (const v of SP800_38A_CBC) {
      it(`SP 800-38A ${v.clause}: the core's CBC modes through the bulk calls`, () => {
        const aes = keyed(make(), fromHex(v.key));
        const out = new Uint8Array(64);
        cbcEncrypt(aes, fromHex(SP800_38A_IV), 0, fromHex(SP800_38A_PT), 0, 64, out, 0);
        expect(toHex(out)).toBe(v.ct);
        cbcDecrypt(aes, fromHex(SP800_38A_IV), 0, fromHex(v.ct), 0, 64, out, 0);
        expect(toHex(out)).toBe(SP800_38A_PT);
      });
    }

    it('RFC 4493 Examples 1-4: CMAC, one after another on one cipher', () => {
      const aes = keyed(make(), fromHex(SP800_38A_CBC[0].key));
      const msg = fromHex(SP800_38A_PT);
      const out = new Uint8Array(16);
      for (const ex of RFC4493) {
        cmac(aes, msg, 0, ex.len, out, 0);
        expect(toHex(out), `${ex.len} bytes`).toBe(ex.mac);
      }
    });
  });

  describe(`${name} gives the answers of SoftAes`, () => {
    for (const keyLen of [16, 24, 32]) {
      it(`AES-${keyLen * 8}: blocks, CBC both ways at offsets and in place, CMAC of 0..96 bytes in uneven pieces`, () => {
        const key = pseudoRandomBytes(keyLen, keyLen);
        const node = keyed(make(), key);
        const soft = keyed(new SoftAes(), key);
        const a = new Uint8Array(16);
        const b = new Uint8Array(16);
        for (let seed = 1; seed <= 8; seed++) {
          const block = pseudoRandomBytes(seed, 16);
          node.encryptBlock(block, 0, a, 0);
          soft.encryptBlock(block, 0, b, 0);
          expect(toHex(a)).toBe(toHex(b));
          node.decryptBlock(block, 0, a, 0);
          soft.decryptBlock(block, 0, b, 0);
          expect(toHex(a)).toBe(toHex(b));
        }

        const frame = pseudoRandomBytes(100, 3 + 96 + 5);
        const iv = pseudoRandomBytes(101, 16);
        for (const len of [16, 32, 96]) {
          const viaNode = frame.slice();
          const viaSoft = frame.slice();
          cbcEncrypt(node, iv, 0, viaNode, 3, len, viaNode, 3);
          cbcEncrypt(soft, iv, 0, viaSoft, 3, len, viaSoft, 3);
          expect(toHex(viaNode)).toBe(toHex(viaSoft));
          const apart = new Uint8Array(len + 7);
          cbcDecrypt(node, iv, 0, viaNode, 3, len, apart, 7);
          expect(toHex(apart.subarray(7, 7 + len))).toBe(toHex(frame.subarray(3, 3 + len)));
          cbcDecrypt(node, iv, 0, viaNode, 3, len, viaNode, 3);
          expect(toHex(viaNode)).toBe(toHex(frame));
        }

        // One CMAC after another on the ciphers the CBC calls above used: each bulk call starts from
        // its own IV, not from where the previous call on the cipher left off.
        const nodeMac = new Cmac(node);
        const softMac = new Cmac(soft);
        const data = pseudoRandomBytes(102, 96);
        for (let len = 0; len <= 96; len++) {
          nodeMac.start();
          softMac.start();
          for (let at = 0; at < len; at += 1 + (at % 23)) {
            const piece = Math.min(1 + (at % 23), len - at);
            nodeMac.update(data, at, piece);
            softMac.update(data, at, piece);
          }
          nodeMac.finish(a, 0);
          softMac.finish(b, 0);
          expect(toHex(a), `CMAC of ${len} bytes`).toBe(toHex(b));
        }
      });
    }

    it('refuses a bad key length keeping the key in force, and works again only after setKey once wiped', () => {
      const key = fromHex(FIPS197[0].key);
      const aes = keyed(make(), key);
      expect(() => aes.setKey(new Uint8Array(15), 0, 15)).toThrow('expected 16, 24 or 32 bytes, got 15');
      const out = new Uint8Array(16);
      aes.encryptBlock(fromHex(FIPS197_PT), 0, out, 0);
      expect(toHex(out)).toBe(FIPS197[0].ct);
      aes.wipe();
      expect(() => aes.encryptBlock(fromHex(FIPS197_PT), 0, out, 0)).toThrow('no key set');
      expect(() => cbcEncrypt(aes, new Uint8Array(16), 0, new Uint8Array(32), 0, 32, new Uint8Array(32), 0)).toThrow('no key set');
      aes.setKey(key, 0, key.length);
      aes.encryptBlock(fromHex(FIPS197_PT), 0, out, 0);
      expect(toHex(out)).toBe(FIPS197[0].ct);
    });
  });
}

describe('NobleAes', () => {
  it('decrypts under the key set last: its decryption schedule is made again after setKey', () => {
    const out = new Uint8Array(16);
    const aes = keyed(new NobleAes(), fromHex(FIPS197[1].key));
    aes.decryptBlock(fromHex(FIPS197[1].ct), 0, out, 0);
    expect(toHex(out)).toBe(FIPS197_PT);
    for (const v of FIPS197) {
      aes.setKey(fromHex(v.key), 0, v.key.length / 2);
      aes.decryptBlock(fromHex(v.ct), 0, out, 0);
      expect(toHex(out), v.clause).toBe(FIPS197_PT);
    }
  });
});
