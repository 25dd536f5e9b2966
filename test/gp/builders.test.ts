import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { TAG_CARD_DATA, TAG_KEY_INFORMATION_TEMPLATE } from '../../firmware/src/core/gp/constants';
import { buildDelete } from '../../firmware/src/core/gp/delete';
import { buildGetData } from '../../firmware/src/core/gp/get-data';
import { buildGetStatus } from '../../firmware/src/core/gp/get-status';
import { buildInstallForInstall, buildInstallForLoad } from '../../firmware/src/core/gp/install';
import { buildLoad, loadBlockCount, loadBlockSize } from '../../firmware/src/core/gp/load-script';
import { buildPutKeySet, putKeyAnswerMatches, type DekEncryptor } from '../../firmware/src/core/gp/put-key';
import { buildSelect } from '../../firmware/src/core/gp/select';

const PKG = fromHex('A0000001510001');
const APPLET = fromHex('A000000151000101');
const ISD = fromHex('A000000151000000');

function built(n: number, out: Uint8Array): string {
  expect(n).toBeGreaterThan(0);
  return toHex(out, 0, n);
}

describe('GP command builders (byte layouts of GPCS ch. 11)', () => {
  const out = new Uint8Array(300);

  it('INSTALL [for install and make selectable]: the GPCS Table 11-43 example of docs/standards.md', () => {
    const n = buildInstallForInstall(PKG, APPLET, APPLET, Uint8Array.of(0x00), null, null, out);
    expect(built(n, out)).toBe('80e60c0020' + '07a0000001510001' + '08a000000151000101' + '08a000000151000101' + '0100' + '02c900' + '00' + '00');
  });

  it('INSTALL [for install]: application parameters go inside C9, privileges may be 3 bytes', () => {
    const n = buildInstallForInstall(PKG, APPLET, fromHex('A00000015100010201'), fromHex('000000'), fromHex('cafe'), null, out);
    expect(built(n, out)).toBe('80e60c0025' + '07a0000001510001' + '08a000000151000101' + '09a00000015100010201' + '03000000' + '04c902cafe' + '00' + '00');
  });

  it('INSTALL [for load] (GPCS Table 11-42): LF AID, SD AID, empty hash, params and token', () => {
    expect(built(buildInstallForLoad(PKG, ISD, null, null, null, out), out)).toBe('80e6020014' + '07a0000001510001' + '08a000000151000000' + '000000' + '00');
    expect(built(buildInstallForLoad(PKG, null, null, fromHex('ef04c6020400'), null, out), out)).toBe(
      '80e6020012' + '07a0000001510001' + '00' + '00' + '06ef04c6020400' + '00' + '00',
    );
  });

  it('refuses AIDs outside 5..16 bytes and privileges of other than 1 or 3 bytes', () => {
    expect(buildInstallForLoad(fromHex('a0000001'), null, null, null, null, out)).toBe(-1);
    expect(buildInstallForInstall(PKG, APPLET, new Uint8Array(17), Uint8Array.of(0), null, null, out)).toBe(-1);
    expect(buildInstallForInstall(PKG, APPLET, APPLET, Uint8Array.of(0, 0), null, null, out)).toBe(-1);
    expect(buildDelete(new Uint8Array(4), false, out)).toBe(-1);
    expect(buildInstallForInstall(PKG, APPLET, APPLET, Uint8Array.of(0), new Uint8Array(250), null, out)).toBe(-1);
  });

  it('DELETE object / object and related (P2 00 / 80)', () => {
    expect(built(buildDelete(APPLET, false, out), out)).toBe('80e400000a4f08a00000015100010100');
    expect(built(buildDelete(PKG, true, out), out)).toBe('80e40080094f07a000000151000100');
  });

  it('GET STATUS: first (P2 02) and next (P2 03) occurrence, any AID', () => {
    expect(built(buildGetStatus(0x40, false, out), out)).toBe('80f24002024f0000');
    expect(built(buildGetStatus(0x10, true, out), out)).toBe('80f21003024f0000');
  });

  it('GET DATA key information template and card data; SELECT by AID and of the ISD', () => {
    expect(built(buildGetData(TAG_KEY_INFORMATION_TEMPLATE, out), out)).toBe('80ca00e000');
    expect(built(buildGetData(TAG_CARD_DATA, out), out)).toBe('80ca006600');
    expect(built(buildSelect(ISD, out), out)).toBe('00a4040008a00000015100000000');
    expect(built(buildSelect(null, out), out)).toBe('00a4040000');
  });

  it('LOAD: P1 00 while blocks follow, 80 on the last, P2 = block number', () => {
    const file = fromHex('c4820102' + 'aa'.repeat(258));
    expect(built(buildLoad(0, false, file, 0, 4, out), out)).toBe('80e8000004c482010200');
    expect(built(buildLoad(2, true, file, 4, 2, out), out)).toBe('80e8800202aaaa00');
    expect(buildLoad(256, true, file, 0, 1, out)).toBe(-1);
    expect(buildLoad(0, true, file, 0, 256, out)).toBe(-1);
  });
});

describe('LOAD block size (FCI 9F65, C-MAC, C-DEC padding)', () => {
  it('is 255 without a secure channel, 247 with C-MAC and 239 with C-DEC, as GlobalPlatformPro cuts', () => {
    expect(loadBlockSize(0, 0)).toBe(255);
    for (const sl of [0x01, 0x11]) expect(loadBlockSize(0, sl)).toBe(247);
    for (const sl of [0x03, 0x13, 0x33]) expect(loadBlockSize(0, sl)).toBe(239);
  });

  it('follows a smaller 9F65 and always leaves room for the 80 padding byte', () => {
    expect(loadBlockSize(0x80, 0x01)).toBe(120);
    expect(loadBlockSize(0x80, 0x03)).toBe(111); // 111 + 1 padding = 112 = 7 blocks, + 8 MAC = 128
    expect(loadBlockSize(0x88, 0x03)).toBe(127); // 127 + 1 = 128, + 8 = 136
    expect(loadBlockSize(0x400, 0x01)).toBe(247); // short APDUs only
    expect(loadBlockSize(16, 0x03)).toBe(0);
  });

  it('a wrapped block at the computed size fits the card limit exactly or with room', () => {
    for (let limit = 40; limit <= 255; limit++) {
      for (const sl of [0x01, 0x03, 0x33]) {
        const size = loadBlockSize(limit, sl);
        const wrapped = ((sl & 0x02) !== 0 ? size + 16 - (size % 16) : size) + 8;
        expect(wrapped, `9F65=${limit} SL=${sl}`).toBeLessThanOrEqual(limit);
        const oneMore = ((sl & 0x02) !== 0 ? size + 1 + 16 - ((size + 1) % 16) : size + 1) + 8;
        expect(oneMore, `9F65=${limit} SL=${sl} +1`).toBeGreaterThan(limit);
      }
    }
  });

  it('counts blocks', () => {
    expect(loadBlockCount(0, 239)).toBe(1);
    expect(loadBlockCount(239, 239)).toBe(1);
    expect(loadBlockCount(240, 239)).toBe(2);
    expect(loadBlockCount(100, 0)).toBe(-1);
  });
});

describe('PUT KEY (new SCP03 key set)', () => {
  const dek = fromHex('404142434445464748494a4b4c4d4e4f');
  const encryptor: DekEncryptor = {
    encryptWithDek(src, srcOff, len, dst, dstOff) {
      const c = createCipheriv(`aes-${dek.length * 8}-cbc`, dek, Buffer.alloc(16));
      c.setAutoPadding(false);
      dst.set(c.update(src.subarray(srcOff, srcOff + len)), dstOff);
      return len;
    },
  };

  it('encrypts each key under K-DEK (AES-CBC, ICV 0) with length prefix and KCV', () => {
    const out = new Uint8Array(300);
    const key = fromHex('404142434445464748494a4b4c4d4e4f');
    const n = buildPutKeySet(0x00, 0x31, key, key, key, encryptor, new SoftAes(), out);
    const c = createCipheriv('aes-128-cbc', dek, Buffer.alloc(16));
    c.setAutoPadding(false);
    const cgram = toHex(c.update(key));
    const field = '8811' + '10' + cgram + '03' + '504a77'; // KCV of 4041..4F (docs/standards.md "Keys")
    expect(toHex(out, 0, n)).toBe('80d8008146' + '31' + field + field + field + '00');
    expect(putKeyAnswerMatches(out.subarray(0, n), fromHex('31504a77504a77504a77'), 0, 10)).toBe(true);
    expect(putKeyAnswerMatches(out.subarray(0, n), fromHex('31504a77504a77504a78'), 0, 10)).toBe(false);
    expect(putKeyAnswerMatches(out.subarray(0, n), fromHex('32504a77504a77504a77'), 0, 10)).toBe(false);
  });

  it('pads a 24-byte key to two blocks and keeps its clear length', () => {
    const out = new Uint8Array(300);
    const k = fromHex('000102030405060708090a0b0c0d0e0f0001020304050607');
    const n = buildPutKeySet(0x30, 0x31, k, k, k, encryptor, new SoftAes(), out);
    expect(toHex(out, 0, 9)).toBe('80d830817631882118');
    expect(n).toBe(5 + 1 + 3 * (3 + 32 + 1 + 3) + 1);
  });

  it('refuses mixed key lengths and KVNs out of range', () => {
    const out = new Uint8Array(300);
    const k16 = new Uint8Array(16);
    expect(buildPutKeySet(0, 0x31, k16, new Uint8Array(24), k16, encryptor, new SoftAes(), out)).toBe(-1);
    expect(buildPutKeySet(0, 0x00, k16, k16, k16, encryptor, new SoftAes(), out)).toBe(-1);
    expect(buildPutKeySet(0x80, 0x31, k16, k16, k16, encryptor, new SoftAes(), out)).toBe(-1);
  });
});
