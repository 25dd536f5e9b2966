/**
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR (the
 * CRC RevEng catalogue's "CRC-16/IBM-3740"; check value 0x29B1 over "123456789"). The store uses it
 * for page headers and records: 16-bit arithmetic keeps it inside the portable-core number range,
 * where CRC32 would need bit 31 (docs/portable-core.md).
 *
 * Bytewise from two 256-byte tables, the register kept as its two bytes: with x = high byte XOR
 * input, the next register is (low byte XOR FOLD_HIGH[x], FOLD_LOW[x]), where FOLD[x] is x folded
 * once by 4 bits with the three taps of 0x1021 (bits 12, 5 and 0) added back in, equivalent to
 * eight shift-and-XOR steps. No shift in the loop and two bytes a pass: on Espruino, which
 * interprets every token, a byte costs ~4 empty-loop times instead of ~7.3 for the table-free fold.
 */
import { shr } from '../bits';

export const CRC16_INIT = 0xffff;

/** The high (highByte) or low byte of FOLD[x] for x = 0..255; built once when the module loads. */
function foldTable(highByte: boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const x = v ^ shr(v, 4);
    const fold = ((x << 12) ^ (x << 5) ^ x) & 0xffff;
    t[v] = highByte ? shr(fold, 8) : fold & 0xff;
  }
  return t;
}

const FOLD_HIGH = foldTable(true);
const FOLD_LOW = foldTable(false);

/** Continues `crc` over data[off .. off+len). Start with CRC16_INIT. */
export function crc16(data: Uint8Array, off: number, len: number, crc: number): number {
  // The tables as locals: Espruino finds a local in the function's short list, a top-level name
  // by walking every global the firmware defines.
  const foldHigh = FOLD_HIGH;
  const foldLow = FOLD_LOW;
  let high = shr(crc, 8);
  let low = crc & 0xff;
  let x = 0;
  let y = 0;
  let i = off;
  const last = off + len - 1;
  // Two bytes a pass: the first byte's new high byte goes straight into the second's index.
  while (i < last) {
    x = high ^ data[i];
    y = low ^ foldHigh[x] ^ data[i + 1];
    high = foldLow[x] ^ foldHigh[y];
    low = foldLow[y];
    i += 2;
  }
  if (i === last) {
    x = high ^ data[i];
    high = low ^ foldHigh[x];
    low = foldLow[x];
  }
  return (high << 8) | low;
}
