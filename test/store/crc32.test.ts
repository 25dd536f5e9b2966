import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../firmware/src/core/store/crc32';

const ascii = (s: string) => new TextEncoder().encode(s);

/** The CRC as a number, from the four bytes crc32() writes (most significant first). */
function crcOf(data: Uint8Array, off: number, len: number): number {
  const out = new Uint8Array(4);
  crc32(data, off, len, out, 0);
  return ((out[0] << 24) | (out[1] << 16) | (out[2] << 8) | out[3]) >>> 0;
}

describe('CRC-32/ISO-HDLC (IEEE 802.3)', () => {
  it('gives the catalogue check value 0xCBF43926 for "123456789" (CRC RevEng, CRC-32/ISO-HDLC)', () => {
    expect(crcOf(ascii('123456789'), 0, 9)).toBe(0xcbf43926);
  });

  it('is 0 over no bytes and writes big-endian at the offset asked, touching nothing else', () => {
    expect(crcOf(new Uint8Array(0), 0, 0)).toBe(0);
    const out = new Uint8Array(8).fill(0xaa);
    crc32(ascii('xx123456789yy'), 2, 9, out, 3);
    expect(Array.from(out)).toEqual([0xaa, 0xaa, 0xaa, 0xcb, 0xf4, 0x39, 0x26, 0xaa]);
  });

  it("agrees with zlib's crc32 (what Espruino's E.CRC32 computes) over records of every length up to 300", () => {
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 151 + 7) & 0xff;
    for (let len = 0; len <= data.length; len += 1) expect(crcOf(data, 0, len), `len ${len}`).toBe(zlibCrc32(data.subarray(0, len)));
  });
});
