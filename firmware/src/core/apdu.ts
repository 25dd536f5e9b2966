/**
 * ISO/IEC 7816-4 §5.1 command APDU codec, parsed in place.
 *
 *   case 1  CLA INS P1 P2
 *   case 2S CLA INS P1 P2 Le(1)                 Le 00 = 256
 *   case 3S CLA INS P1 P2 Lc(1, 01..FF) data
 *   case 4S CLA INS P1 P2 Lc(1) data Le(1)
 *   case 2E CLA INS P1 P2 00 Le(2)              Le 0000 = 65536
 *   case 3E CLA INS P1 P2 00 Lc(2, 0001..FFFF) data
 *   case 4E CLA INS P1 P2 00 Lc(2) data Le(2)
 *
 * parseCommand() fills a caller-owned CommandApdu (no allocation) and returns 0, or the status
 * word to answer when the length fields do not match the bytes received.
 */
import { shr } from './bits';
import { SW } from './sw';

export const APDU_HEADER_LEN = 4;
/** Le absent (cases 1 and 3). */
export const LE_ABSENT = -1;

export class CommandApdu {
  buf: Uint8Array = new Uint8Array(0);
  cla = 0;
  ins = 0;
  p1 = 0;
  p2 = 0;
  /** Nc: number of data bytes. */
  lc = 0;
  /** Offset of the data field in buf. */
  dataOff = 0;
  /** Ne, or LE_ABSENT. */
  le = LE_ABSENT;
  extended = false;
  /** ISO case 1..4. */
  apduCase = 1;
}

export function parseCommand(buf: Uint8Array, len: number, out: CommandApdu): number {
  if (len < APDU_HEADER_LEN || len > buf.length) return SW.ERR_CHECKING_WRONG_LENGTH;
  out.buf = buf;
  out.cla = buf[0];
  out.ins = buf[1];
  out.p1 = buf[2];
  out.p2 = buf[3];
  out.lc = 0;
  out.dataOff = APDU_HEADER_LEN + 1;
  out.le = LE_ABSENT;
  out.extended = false;
  out.apduCase = 1;
  if (len === APDU_HEADER_LEN) return 0;
  const b4 = buf[4];
  if (len === 5) {
    out.apduCase = 2;
    out.le = b4 === 0 ? 256 : b4;
    return 0;
  }
  if (b4 !== 0) {
    // Short Lc.
    out.lc = b4;
    if (len === 5 + b4) {
      out.apduCase = 3;
      return 0;
    }
    if (len === 6 + b4) {
      out.apduCase = 4;
      const le = buf[5 + b4];
      out.le = le === 0 ? 256 : le;
      return 0;
    }
    return SW.ERR_CHECKING_WRONG_LENGTH;
  }
  // b4 == 00 and more than 5 bytes: extended length.
  if (len < 7) return SW.ERR_CHECKING_WRONG_LENGTH;
  out.extended = true;
  const n = (buf[5] << 8) | buf[6];
  if (len === 7) {
    out.apduCase = 2;
    out.le = n === 0 ? 65536 : n;
    return 0;
  }
  if (n === 0) return SW.ERR_CHECKING_WRONG_LENGTH;
  out.lc = n;
  out.dataOff = 7;
  if (len === 7 + n) {
    out.apduCase = 3;
    return 0;
  }
  if (len === 9 + n) {
    out.apduCase = 4;
    const le = (buf[7 + n] << 8) | buf[8 + n];
    out.le = le === 0 ? 65536 : le;
    return 0;
  }
  return SW.ERR_CHECKING_WRONG_LENGTH;
}

/**
 * Writes a command APDU into out (short form when Nc <= 255 and Ne <= 256, else extended).
 * le = LE_ABSENT for cases 1/3. Returns the length written, or -1 if out is too small.
 */
export function encodeCommand(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array | null,
  dataOff: number,
  dataLen: number,
  le: number,
  out: Uint8Array,
  outOff: number,
): number {
  const nc = data === null ? 0 : dataLen;
  const extended = nc > 255 || le > 256;
  const need = APDU_HEADER_LEN + (nc > 0 ? (extended ? 3 : 1) + nc : 0) + (le === LE_ABSENT ? 0 : extended ? (nc > 0 ? 2 : 3) : 1);
  if (out.length - outOff < need) return -1;
  let o = outOff;
  out[o++] = cla & 0xff;
  out[o++] = ins & 0xff;
  out[o++] = p1 & 0xff;
  out[o++] = p2 & 0xff;
  if (nc > 0 && data !== null) {
    if (extended) {
      out[o++] = 0;
      out[o++] = shr(nc, 8) & 0xff;
    }
    out[o++] = nc & 0xff;
    for (let i = 0; i < nc; i++) out[o++] = data[dataOff + i];
  }
  if (le !== LE_ABSENT) {
    if (extended) {
      if (nc === 0) out[o++] = 0;
      out[o++] = le === 65536 ? 0 : shr(le, 8) & 0xff;
      out[o++] = le & 0xff;
    } else {
      out[o++] = le === 256 ? 0 : le;
    }
  }
  return o - outOff;
}
