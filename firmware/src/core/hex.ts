/**
 * Hex conversion for tools, tests and provisioning files. Not for the APDU path: both functions
 * allocate. Written in the portable subset (docs/portable-core.md) so the Lua build carries it:
 * a character scan instead of regular expressions, optional arguments instead of defaults.
 */
import { shr } from './bits';

const DIGITS = '0123456789abcdef';

/** The value of a hex digit's character code, or -1. */
function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  if (c >= 0x61 && c <= 0x66) return c - 0x57; // a-f
  if (c >= 0x41 && c <= 0x46) return c - 0x37; // A-F
  return -1;
}

/** Whitespace and ':' may separate digits ("00 a4", "00:A4"). */
function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x3a || (c >= 0x09 && c <= 0x0d);
}

function invalidHex(text: string): Error {
  return new Error(`invalid hex string: expected an even number of hex digits, got '${text}'`);
}

export function fromHex(text: string): Uint8Array {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSeparator(c)) continue;
    if (digitValue(c) < 0) throw invalidHex(text);
    digits++;
  }
  if (digits % 2 !== 0) throw invalidHex(text);
  const out = new Uint8Array(Math.floor(digits / 2));
  let high = -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSeparator(c)) continue;
    if (high < 0) {
      high = digitValue(c);
    } else {
      out[n] = (high << 4) | digitValue(c);
      n++;
      high = -1;
    }
  }
  return out;
}

/** Lower-case hex of b[off .. off+len); off defaults to 0 and len to the rest of b. */
export function toHex(b: Uint8Array, off?: number, len?: number): string {
  const start = off === undefined ? 0 : off;
  const count = len === undefined ? b.length - start : len;
  let s = '';
  for (let i = 0; i < count; i++) {
    const v = b[start + i];
    s += DIGITS.charAt(shr(v, 4) & 0xf) + DIGITS.charAt(v & 0xf);
  }
  return s;
}
