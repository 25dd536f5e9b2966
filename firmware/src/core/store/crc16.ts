/**
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR (the
 * CRC RevEng catalogue's "CRC-16/IBM-3740"; check value 0x29B1 over "123456789"). The store uses it
 * for page headers and records: 16-bit arithmetic keeps it inside the portable-core number range,
 * where CRC32 would need bit 31 (docs/portable-core.md).
 *
 * Bytewise without a table: x = top byte XOR input, folded once by 4 bits, then the three taps of
 * 0x1021 (bits 12, 5 and 0) are added back in; equivalent to eight shift-and-XOR steps.
 */
import { shr } from '../bits';

export const CRC16_INIT = 0xffff;

/** Continues `crc` over data[off .. off+len). Start with CRC16_INIT. */
export function crc16(data: Uint8Array, off: number, len: number, crc: number): number {
  let c = crc;
  for (let i = 0; i < len; i++) {
    let x = (shr(c, 8) ^ data[off + i]) & 0xff;
    x = x ^ shr(x, 4);
    c = ((c << 8) ^ (x << 12) ^ (x << 5) ^ x) & 0xffff;
  }
  return c;
}
