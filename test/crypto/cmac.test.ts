import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { Cmac, cmac, generateSubkeys } from '../../firmware/src/core/crypto/cmac';
import { SoftDes } from '../../firmware/src/core/crypto/des';
import { fromHex, toHex } from '../../firmware/src/core/hex';

// RFC 4493 §4 and NIST SP 800-38B Appendix D.1 (AES-128), as listed in RFC 4493 §4
const KEY = '2b7e151628aed2a6abf7158809cf4f3c';
const M =
  '6bc1bee22e409f96e93d7e117393172a' +
  'ae2d8a571e03ac9c9eb76fac45af8e51' +
  '30c81c46a35ce411e5fbc1191a0a52ef' +
  'f69f2445df4f9b17ad2b417be66c3710';
const EXAMPLES = [
  { source: 'RFC 4493 Example 1 (empty)', len: 0, mac: 'bb1d6929e95937287fa37d129b756746' },
  { source: 'RFC 4493 Example 2 (16 bytes)', len: 16, mac: '070a16b46b4d4144f79bdd9dd04a287c' },
  { source: 'SP 800-38B D.1 Example 3 (20 bytes)', len: 20, mac: '7d85449ea6ea19c823a7bf78837dfade' },
  { source: 'RFC 4493 Example 3 (40 bytes)', len: 40, mac: 'dfa66747de9ae63030ca32611497c827' },
  { source: 'RFC 4493 Example 4 (64 bytes)', len: 64, mac: '51f0bebf7e3b9d92fc49741779363cfe' },
];

function keyedAes(): SoftAes {
  const aes = new SoftAes();
  aes.setKey(fromHex(KEY), 0, 16);
  return aes;
}

describe('AES-CMAC (RFC 4493)', () => {
  it('startSameKey() keeps the subkeys of the last start(), and derives them again after wipe() and a new key', () => {
    const aes = keyedAes();
    const mac = new Cmac(aes);
    const msg = fromHex(M);
    const out = new Uint8Array(16);
    mac.start();
    mac.update(msg, 0, 40);
    mac.finish(out, 0);
    mac.startSameKey();
    mac.update(msg, 0, 64);
    mac.finish(out, 0);
    expect(toHex(out)).toBe('51f0bebf7e3b9d92fc49741779363cfe');
    mac.wipe();
    aes.setKey(fromHex('000102030405060708090a0b0c0d0e0f'), 0, 16);
    mac.startSameKey();
    mac.update(msg, 0, 64);
    mac.finish(out, 0);
    const fresh = new Uint8Array(16);
    mac.start();
    mac.update(msg, 0, 64);
    mac.finish(fresh, 0);
    expect(toHex(out)).toBe(toHex(fresh));
  });

  it('generates the RFC 4493 §4 subkeys K1 and K2', () => {
    const k1 = new Uint8Array(16);
    const k2 = new Uint8Array(16);
    generateSubkeys(keyedAes(), k1, k2);
    expect(toHex(k1)).toBe('fbeed618357133667c85e08f7236a8de');
    expect(toHex(k2)).toBe('f7ddac306ae266ccf90bc11ee46d513b');
  });

  for (const ex of EXAMPLES) {
    it(`${ex.source}: one-shot and streaming`, () => {
      const aes = keyedAes();
      const msg = fromHex(M);
      const out = new Uint8Array(16);
      cmac(aes, msg, 0, ex.len, out, 0);
      expect(toHex(out)).toBe(ex.mac);
      // Every split into two update() calls, covering block-boundary hold-back.
      const mac = new Cmac(aes);
      for (let cut = 0; cut <= ex.len; cut++) {
        mac.start();
        mac.update(msg, 0, cut);
        mac.update(msg, cut, ex.len - cut);
        mac.finish(out, 0);
        expect(toHex(out)).toBe(ex.mac);
      }
    });
  }

  it('streams byte by byte and reads data at an offset', () => {
    const msg = fromHex('0000' + M);
    const mac = new Cmac(keyedAes());
    const out = new Uint8Array(18);
    mac.start();
    for (let i = 0; i < 40; i++) mac.update(msg, 2 + i, 1);
    mac.finish(out, 2);
    expect(toHex(out, 2, 16)).toBe('dfa66747de9ae63030ca32611497c827');
  });

  it('follows a re-keyed cipher at the next start()', () => {
    const aes = keyedAes();
    const mac = new Cmac(aes);
    const out = new Uint8Array(16);
    aes.setKey(fromHex('000102030405060708090a0b0c0d0e0f'), 0, 16);
    mac.start();
    mac.finish(out, 0);
    const other = toHex(out);
    aes.setKey(fromHex(KEY), 0, 16);
    mac.start();
    mac.finish(out, 0);
    expect(toHex(out)).toBe('bb1d6929e95937287fa37d129b756746');
    expect(other).not.toBe(toHex(out));
  });

  it('refuses use outside start()..finish(), non-AES ciphers and short output buffers', () => {
    const mac = new Cmac(keyedAes());
    expect(() => mac.update(new Uint8Array(4), 0, 4)).toThrow(/before start/);
    expect(() => mac.finish(new Uint8Array(16), 0)).toThrow(/before start/);
    mac.start();
    mac.finish(new Uint8Array(16), 0);
    expect(() => mac.update(new Uint8Array(4), 0, 4)).toThrow(/before start/);
    mac.start();
    expect(() => mac.finish(new Uint8Array(16), 4)).toThrow(/does not fit/);
    expect(() => new Cmac(new SoftDes())).toThrow(/expected a 16-byte-block cipher, got 8/);
  });
});
