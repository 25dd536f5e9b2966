/**
 * ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a block boundary. Always adds at
 * least one byte (a full block when the data is already aligned). Used by SCP03 C-DEC/R-ENC
 * (AmdD §6.2.6) and the PBOC MAC (JR/T 0025 e-purse security).
 */
import { fill } from '../bytes';
import { assertRange } from './block-cipher';

/**
 * Pads buf[off .. off+len) in place and returns the padded length. Throws if the padding does
 * not fit in buf.
 */
export function pad80(buf: Uint8Array, off: number, len: number, blockSize: number): number {
  const padded = len + blockSize - (len % blockSize);
  assertRange('pad80 buffer', buf, off, padded);
  buf[off + len] = 0x80;
  fill(buf, off + len + 1, padded - len - 1, 0);
  return padded;
}

/**
 * Returns the length of buf[off .. off+len) without its 80 00.. padding, or -1 when the range
 * does not end in 80 followed only by zeros.
 */
export function unpad80(buf: Uint8Array, off: number, len: number): number {
  if (off < 0 || len < 0 || off + len > buf.length) return -1;
  let i = off + len - 1;
  while (i >= off && buf[i] === 0) i--;
  if (i < off || buf[i] !== 0x80) return -1;
  return i - off;
}
