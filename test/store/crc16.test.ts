import { describe, expect, it } from 'vitest';
import { CRC16_INIT, crc16 } from '../../firmware/src/core/store/crc16';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('CRC-16/CCITT-FALSE', () => {
  it('gives the catalogue check value 0x29B1 for "123456789" (CRC RevEng, CRC-16/IBM-3740)', () => {
    expect(crc16(ascii('123456789'), 0, 9, CRC16_INIT)).toBe(0x29b1);
  });

  it('is the initial value over no bytes, and continues across calls', () => {
    const data = ascii('123456789');
    expect(crc16(data, 0, 0, CRC16_INIT)).toBe(0xffff);
    expect(crc16(data, 4, 5, crc16(data, 0, 4, CRC16_INIT))).toBe(0x29b1);
  });

  it('leaves a zero remainder over data followed by its CRC (no reflection, no final XOR)', () => {
    const data = new Uint8Array(66);
    for (let i = 0; i < 64; i++) data[i] = (i * 37 + 11) & 0xff;
    const crc = crc16(data, 0, 64, CRC16_INIT);
    data[64] = crc >> 8;
    data[65] = crc & 0xff;
    expect(crc16(data, 0, 66, CRC16_INIT)).toBe(0);
  });
});
