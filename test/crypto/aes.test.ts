import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { nodeEcb, pseudoRandomBytes } from './_reference';

// FIPS-197 Appendix C (example vectors): plaintext 00112233445566778899aabbccddeeff, key 00 01 02 ..
const PLAINTEXT = '00112233445566778899aabbccddeeff';
const FIPS197 = [
  { clause: 'C.1 AES-128', key: '000102030405060708090a0b0c0d0e0f', ct: '69c4e0d86a7b0430d8cdb78070b4c55a' },
  { clause: 'C.2 AES-192', key: '000102030405060708090a0b0c0d0e0f1011121314151617', ct: 'dda97ca4864cdfe06eaf70a0ec0d7191' },
  {
    clause: 'C.3 AES-256',
    key: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    ct: '8ea2b7ca516745bfeafc49904b496089',
  },
];

describe('SoftAes (FIPS-197)', () => {
  for (const v of FIPS197) {
    it(`${v.clause}: encrypts and decrypts the Appendix C example`, () => {
      const aes = new SoftAes();
      const key = fromHex(v.key);
      aes.setKey(key, 0, key.length);
      const out = new Uint8Array(16);
      aes.encryptBlock(fromHex(PLAINTEXT), 0, out, 0);
      expect(toHex(out)).toBe(v.ct);
      aes.decryptBlock(fromHex(v.ct), 0, out, 0);
      expect(toHex(out)).toBe(PLAINTEXT);
    });
  }

  it('works in place and at offsets', () => {
    const aes = new SoftAes();
    const frame = fromHex('ffff' + '000102030405060708090a0b0c0d0e0f' + PLAINTEXT + 'ee');
    aes.setKey(frame, 2, 16);
    aes.encryptBlock(frame, 18, frame, 18);
    expect(toHex(frame, 18, 16)).toBe(FIPS197[0].ct);
    expect(frame[34]).toBe(0xee);
    aes.decryptBlock(frame, 18, frame, 18);
    expect(toHex(frame, 18, 16)).toBe(PLAINTEXT);
  });

  it('agrees with OpenSSL on 60 pseudo-random keys and blocks of each key size', () => {
    const aes = new SoftAes();
    const out = new Uint8Array(16);
    for (let i = 0; i < 60; i++) {
      const keyLen = [16, 24, 32][i % 3];
      const key = pseudoRandomBytes(1000 + i, keyLen);
      const block = pseudoRandomBytes(5000 + i, 16);
      aes.setKey(key, 0, keyLen);
      aes.encryptBlock(block, 0, out, 0);
      expect(toHex(out)).toBe(toHex(nodeEcb(`aes-${keyLen * 8}-ecb`, key, block, false)));
      aes.decryptBlock(block, 0, out, 0);
      expect(toHex(out)).toBe(toHex(nodeEcb(`aes-${keyLen * 8}-ecb`, key, block, true)));
    }
  });

  it('rejects a wrong key length with expected vs got, and keeps the previous key', () => {
    const aes = new SoftAes();
    aes.setKey(fromHex(FIPS197[0].key), 0, 16);
    expect(() => aes.setKey(new Uint8Array(20), 0, 20)).toThrow(/expected 16, 24 or 32 bytes, got 20/);
    expect(() => aes.setKey(new Uint8Array(8), 0, 16)).toThrow(/does not fit/);
    const out = new Uint8Array(16);
    aes.encryptBlock(fromHex(PLAINTEXT), 0, out, 0);
    expect(toHex(out)).toBe(FIPS197[0].ct);
  });

  it('wipe() makes the old key unusable', () => {
    const aes = new SoftAes();
    aes.setKey(fromHex(FIPS197[2].key), 0, 32);
    aes.wipe();
    expect(() => aes.encryptBlock(fromHex(PLAINTEXT), 0, new Uint8Array(16), 0)).toThrow(/no key set/);
    expect(() => aes.decryptBlock(fromHex(PLAINTEXT), 0, new Uint8Array(16), 0)).toThrow(/no key set/);
  });

  it('refuses blocks that run past the buffer', () => {
    const aes = new SoftAes();
    aes.setKey(fromHex(FIPS197[0].key), 0, 16);
    expect(() => aes.encryptBlock(new Uint8Array(20), 5, new Uint8Array(16), 0)).toThrow(/does not fit/);
    expect(() => aes.encryptBlock(new Uint8Array(16), 0, new Uint8Array(16), 1)).toThrow(/does not fit/);
  });
});
