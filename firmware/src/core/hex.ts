/**
 * Hex conversion for tools, tests and provisioning files. Not for the APDU path: both functions
 * allocate.
 */
import { shr } from './bits';

const DIGITS = '0123456789abcdef';

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new Error(`invalid hex string: expected an even number of hex digits, got '${text}'`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function toHex(b: Uint8Array, off = 0, len = b.length - off): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const v = b[off + i];
    s += DIGITS.charAt(shr(v, 4) & 0xf) + DIGITS.charAt(v & 0xf);
  }
  return s;
}
