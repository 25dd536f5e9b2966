import { describe, expect, it } from 'vitest';
import { pad80, unpad80 } from '../../firmware/src/core/crypto/padding';
import { fromHex, toHex } from '../../firmware/src/core/hex';

// ISO/IEC 9797-1 padding method 2 (AmdD §6.2.6: "always adds 80").
describe('pad80 / unpad80', () => {
  it('pads a partial block with 80 00..', () => {
    const buf = fromHex('ff' + 'bf3e035c015a' + 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee');
    expect(pad80(buf, 1, 6, 16)).toBe(16);
    expect(toHex(buf, 1, 16)).toBe('bf3e035c015a80000000000000000000');
    expect(buf[0]).toBe(0xff);
    expect(buf[17]).toBe(0xee);
  });

  it('adds a whole block when the data is already aligned, and one block for empty data', () => {
    const buf = new Uint8Array(16).fill(0x11);
    expect(pad80(buf, 0, 8, 8)).toBe(16);
    expect(toHex(buf, 8, 8)).toBe('8000000000000000');
    expect(pad80(buf, 0, 0, 8)).toBe(8);
    expect(toHex(buf, 0, 8)).toBe('8000000000000000');
  });

  it('throws when the padding would run past the buffer', () => {
    expect(() => pad80(new Uint8Array(16), 0, 16, 16)).toThrow(/does not fit/);
  });

  it('unpad80 returns the data length, or -1 for malformed padding', () => {
    expect(unpad80(fromHex('bf3e035c015a80000000000000000000'), 0, 16)).toBe(6);
    expect(unpad80(fromHex('0080'), 1, 1)).toBe(0);
    expect(unpad80(fromHex('8000000000000000'), 0, 8)).toBe(0);
    expect(unpad80(fromHex('0102030405060708'), 0, 8)).toBe(-1); // no 80
    expect(unpad80(fromHex('0000000000000000'), 0, 8)).toBe(-1); // all zero
    expect(unpad80(fromHex('8001'), 0, 2)).toBe(-1); // non-zero after 80
    expect(unpad80(new Uint8Array(0), 0, 0)).toBe(-1);
    expect(unpad80(new Uint8Array(4), 2, 4)).toBe(-1); // range past the buffer
  });

  it('round-trips every length 0..32 for both block sizes', () => {
    for (const bs of [8, 16]) {
      for (let len = 0; len <= 32; len++) {
        const buf = new Uint8Array(len + bs).fill(0x80); // data that itself looks like padding
        const padded = pad80(buf, 0, len, bs);
        expect(padded % bs).toBe(0);
        expect(padded - len).toBeGreaterThanOrEqual(1);
        expect(padded - len).toBeLessThanOrEqual(bs);
        expect(unpad80(buf, 0, padded)).toBe(len);
      }
    }
  });
});
