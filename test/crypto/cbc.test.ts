import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { cbcDecrypt, cbcEncrypt, ecbDecrypt, ecbEncrypt } from '../../firmware/src/core/crypto/cbc';
import { SoftDes } from '../../firmware/src/core/crypto/des';
import { fromHex, toHex } from '../../firmware/src/core/hex';

// NIST SP 800-38A Appendix F.2.1 (CBC-AES128.Encrypt) and F.2.2 (CBC-AES128.Decrypt).
const KEY = '2b7e151628aed2a6abf7158809cf4f3c';
const IV = '000102030405060708090a0b0c0d0e0f';
const PT =
  '6bc1bee22e409f96e93d7e117393172a' +
  'ae2d8a571e03ac9c9eb76fac45af8e51' +
  '30c81c46a35ce411e5fbc1191a0a52ef' +
  'f69f2445df4f9b17ad2b417be66c3710';
const CT =
  '7649abac8119b246cee98e9b12e9197d' +
  '5086cb9b507219ee95db113a917678b2' +
  '73bed6b8e3c1743b7116e69e22229516' +
  '3ff1caa1681fac09120eca307586e1a7';
// NIST SP 800-38A Appendix F.1.1 (ECB-AES128.Encrypt), first two blocks.
const ECB_CT = '3ad77bb40d7a3660a89ecaf32466ef97' + 'f5d3d58503b9699de785895a96fdbaaf';

function aes(): SoftAes {
  const c = new SoftAes();
  c.setKey(fromHex(KEY), 0, 16);
  return c;
}

describe('CBC (SP 800-38A §6.2)', () => {
  it('F.2.1 CBC-AES128.Encrypt', () => {
    const out = new Uint8Array(64);
    cbcEncrypt(aes(), fromHex(IV), 0, fromHex(PT), 0, 64, out, 0);
    expect(toHex(out)).toBe(CT);
  });

  it('F.2.2 CBC-AES128.Decrypt', () => {
    const out = new Uint8Array(64);
    cbcDecrypt(aes(), fromHex(IV), 0, fromHex(CT), 0, 64, out, 0);
    expect(toHex(out)).toBe(PT);
  });

  it('runs in place at an offset and leaves the IV and the bytes around the range alone', () => {
    const buf = fromHex('aa' + PT + 'bb');
    const iv = fromHex(IV);
    cbcEncrypt(aes(), iv, 0, buf, 1, 64, buf, 1);
    expect(toHex(buf)).toBe('aa' + CT + 'bb');
    cbcDecrypt(aes(), iv, 0, buf, 1, 64, buf, 1);
    expect(toHex(buf)).toBe('aa' + PT + 'bb');
    expect(toHex(iv)).toBe(IV);
  });

  it('FIPS 81 Appendix C CBC-DES example ("Now is the time for all ")', () => {
    const des = new SoftDes();
    des.setKey(fromHex('0123456789abcdef'), 0, 8);
    const pt = '4e6f77206973207468652074696d6520666f7220616c6c20';
    const ct = 'e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6';
    const out = new Uint8Array(24);
    cbcEncrypt(des, fromHex('1234567890abcdef'), 0, fromHex(pt), 0, 24, out, 0);
    expect(toHex(out)).toBe(ct);
    cbcDecrypt(des, fromHex('1234567890abcdef'), 0, out, 0, 24, out, 0);
    expect(toHex(out)).toBe(pt);
  });

  it('rejects lengths that are not whole blocks and ranges past the buffer', () => {
    const out = new Uint8Array(64);
    expect(() => cbcEncrypt(aes(), fromHex(IV), 0, fromHex(PT), 0, 15, out, 0)).toThrow(/multiple of 16 bytes, got 15/);
    expect(() => cbcEncrypt(aes(), fromHex(IV), 0, fromHex(PT), 16, 64, out, 0)).toThrow(/does not fit/);
    expect(() => cbcDecrypt(aes(), fromHex(IV), 8, fromHex(CT), 0, 64, out, 0)).toThrow(/CBC IV/);
  });
});

describe('ECB (SP 800-38A §6.1)', () => {
  it('F.1.1 ECB-AES128 encrypt and F.1.2 decrypt (first two blocks)', () => {
    const out = new Uint8Array(32);
    ecbEncrypt(aes(), fromHex(PT), 0, 32, out, 0);
    expect(toHex(out)).toBe(ECB_CT);
    ecbDecrypt(aes(), out, 0, 32, out, 0);
    expect(toHex(out)).toBe(PT.slice(0, 64));
  });

  it('rejects partial blocks', () => {
    expect(() => ecbEncrypt(aes(), new Uint8Array(20), 0, 20, new Uint8Array(20), 0)).toThrow(/multiple of 16/);
  });
});
