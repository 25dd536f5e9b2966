import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { kcv3Des, kcvAes } from '../../firmware/src/core/crypto/kcv';
import { fromHex, toHex } from '../../firmware/src/core/hex';

function aesKcv(keyHex: string): string {
  const aes = new SoftAes();
  const key = fromHex(keyHex);
  aes.setKey(key, 0, key.length);
  const out = new Uint8Array(3);
  kcvAes(aes, out, 0);
  return toHex(out);
}

describe('key check values (GPPro GPCrypto.kcv_aes / kcv_3des)', () => {
  it('AES: the pySim SCP03 KVN 30 keys (the pySim SCP03 test transcripts, osmocom/pysim tests/unittests/test_globalplatform.py)', () => {
    expect(aesKcv('000102030405060708090a0b0c0d0e0f')).toBe('c35280'); // K-ENC
    expect(aesKcv('101112131415161718191a1b1c1d1e1f')).toBe('013808'); // K-MAC
    expect(aesKcv('202122232425262728292a2b2c2d2e2f')).toBe('840de5'); // K-DEK
  });

  it('AES and 3DES: the GP default test key 40..4F (docs/standards.md "Keys")', () => {
    expect(aesKcv('404142434445464748494a4b4c4d4e4f')).toBe('504a77');
    const tdes = new SoftTripleDes();
    tdes.setKey(fromHex('404142434445464748494a4b4c4d4e4f'), 0, 16);
    const out = fromHex('ff' + '000000' + 'ff');
    kcv3Des(tdes, out, 1);
    expect(toHex(out)).toBe('ff8baf47ff');
  });

  it('refuses a cipher of the wrong block size', () => {
    const des = new SoftDes();
    des.setKey(new Uint8Array(8), 0, 8);
    expect(() => kcvAes(des, new Uint8Array(3), 0)).toThrow(/expected a cipher with 16-byte blocks, got 8/);
    expect(() => kcv3Des(new SoftAes(), new Uint8Array(3), 0)).toThrow(/8-byte blocks, got 16/);
  });
});
