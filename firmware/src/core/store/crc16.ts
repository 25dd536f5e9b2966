/**
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR (the
 * CRC RevEng catalogue's "CRC-16/IBM-3740"; check value 0x29B1 over "123456789"). The store uses it
 * for page headers and for the records of pages written in layouts 2 and 3; layout 4's records
 * carry a CRC-32 (crc32.ts).
 *
 * Bytewise without a table: x = top byte XOR input, folded once by 4 bits, then the three taps of
 * 0x1021 (bits 12, 5 and 0) are added back in; equivalent to eight shift-and-XOR steps. No table:
 * nothing on a board's hot path uses it any more (a page header at mount and at a page's opening,
 * older pages until compaction has copied them), and two 256-byte tables cost Espruino ~45 JsVars.
 */
import { shr } from '../bits';

export const CRC16_INIT = 0xffff;

/** Continues `crc` over data[off .. off+len). Start with CRC16_INIT. */
export function crc16(data: Uint8Array, off: number, len: number, crc: number): number {
  let c = crc;
  for (let i = off; i < off + len; i++) {
    let x = (shr(c, 8) ^ data[i]) & 0xff;
    x = x ^ shr(x, 4);
    c = ((c << 8) ^ (x << 12) ^ (x << 5) ^ x) & 0xffff;
  }
  return c;
}
