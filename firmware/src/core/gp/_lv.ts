/**
 * Length-value fields of GP command data (GPCS Tables 11-42/43/44: "all LV, no delimiters"), and
 * the short command frame the GP builders share. Internal to core/gp.
 */
import { copy } from '../bytes';
import { lengthSize, writeLength } from '../tlv';
import { AID_MAX_LEN, AID_MIN_LEN, SHORT_HEADER_LEN, SHORT_LC_MAX } from './constants';

/** An AID: 5..16 bytes (ISO 7816-4 §8.2.1.2). */
export function isAid(aid: Uint8Array): boolean {
  return aid.length >= AID_MIN_LEN && aid.length <= AID_MAX_LEN;
}

/**
 * Writes len || value at out[off]; `ber` selects the BER length form (1..3 bytes, GPCS Table 11-42
 * for parameters and tokens) instead of a single length byte. Returns the offset after it, or -1
 * when it does not fit (out of room, or a one-byte length over 255).
 */
export function putLv(out: Uint8Array, off: number, value: Uint8Array | null, ber: boolean): number {
  if (off < 0) return -1;
  const n = value === null ? 0 : value.length;
  const lenBytes = ber ? lengthSize(n) : 1;
  if ((!ber && n > 0xff) || off + lenBytes + n > out.length) return -1;
  let o = ber ? writeLength(out, off, n) : off;
  if (!ber) out[o++] = n;
  if (value !== null) copy(value, 0, out, o, n);
  return o + n;
}

/**
 * Starts a case 4 short command: CLA INS P1 P2 and a placeholder Lc. The data goes from offset 5;
 * finishCase4 sets Lc and appends Le 00.
 */
export function startCommand(out: Uint8Array, cla: number, ins: number, p1: number, p2: number): number {
  if (out.length < SHORT_HEADER_LEN + 1) return -1;
  out[0] = cla & 0xff;
  out[1] = ins & 0xff;
  out[2] = p1 & 0xff;
  out[3] = p2 & 0xff;
  out[4] = 0;
  return SHORT_HEADER_LEN;
}

/** Sets Lc for data ending at `end` and appends Le 00; returns the APDU length or -1. */
export function finishCase4(out: Uint8Array, end: number): number {
  if (end < SHORT_HEADER_LEN) return -1;
  const lc = end - SHORT_HEADER_LEN;
  if (lc < 1 || lc > SHORT_LC_MAX || end + 1 > out.length) return -1;
  out[4] = lc;
  out[end] = 0x00;
  return end + 1;
}
