/**
 * Packed BCD as the package and the purse files use it: card numbers (10 bytes, 20 digits, left
 * padded with 0), dates (YYYYMMDD in 4 bytes) and PINs (JR/T 0025 VERIFY: digits packed two per
 * byte, an odd count padded with F). Tools and issuers only: these allocate.
 */
import { shr } from '../bits';

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** `digits` (at most byteLen*2 of them) as byteLen BCD bytes, left padded with 0; null when not digits or too long. */
export function encodeBcd(digits: string, byteLen: number): Uint8Array | null {
  if (digits.length === 0 || digits.length > byteLen * 2) return null;
  const out = new Uint8Array(byteLen);
  const pad = byteLen * 2 - digits.length;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (!isDigit(c)) return null;
    const nibble = pad + i;
    const at = shr(nibble, 1);
    out[at] = (nibble & 1) === 0 ? (c - 0x30) << 4 : out[at] | (c - 0x30);
  }
  return out;
}

/** The digits of b[off .. off+len), stopping at an F nibble (PIN padding); null if a nibble is A..E. */
export function decodeBcd(b: Uint8Array, off: number, len: number): string | null {
  let s = '';
  for (let i = 0; i < len * 2; i++) {
    const v = b[off + shr(i, 1)];
    const nibble = (i & 1) === 0 ? shr(v, 4) & 0x0f : v & 0x0f;
    if (nibble === 0x0f) return i === len * 2 - 1 ? s : null;
    if (nibble > 9) return null;
    s += String.fromCharCode(0x30 + nibble);
  }
  return s;
}

/** A PIN of PIN_MIN..PIN_MAX digits, packed and F-padded (JR/T 0025 VERIFY data); null if not digits. */
export function encodePin(digits: string, minDigits: number, maxDigits: number): Uint8Array | null {
  if (digits.length < minDigits || digits.length > maxDigits) return null;
  const out = new Uint8Array(shr(digits.length + 1, 1));
  for (let i = 0; i < out.length; i++) out[i] = 0xff;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (!isDigit(c)) return null;
    const at = shr(i, 1);
    out[at] = (i & 1) === 0 ? ((c - 0x30) << 4) | 0x0f : (out[at] & 0xf0) | (c - 0x30);
  }
  return out;
}

/** A Uint8Array, not an array: on Espruino an array holds each number in JsVars of its own. */
const DAYS_IN_MONTH = new Uint8Array([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);

/** True when b[off..off+4) is a BCD date YYYYMMDD with a real month and day (Feb 29 always allowed). */
export function isBcdDate(b: Uint8Array, off: number): boolean {
  const digits = decodeBcd(b, off, 4);
  if (digits === null || digits.length !== 8) return false;
  const month = (digits.charCodeAt(4) - 0x30) * 10 + digits.charCodeAt(5) - 0x30;
  const day = (digits.charCodeAt(6) - 0x30) * 10 + digits.charCodeAt(7) - 0x30;
  return month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1];
}
