/**
 * Byte helpers for the portable core. They work on caller-owned buffers with explicit offsets and
 * hold no buffer of their own, so they are safe on the APDU path. Only `Uint8Array` indexing,
 * `.length`, `subarray`, `set` and `fill` are used (the subset the Lua Uint8Array shim provides;
 * docs/portable-core.md).
 *
 * copy() and fill() are one native call each: Espruino runs a JavaScript byte loop from source, at
 * about two empty-loop iterations per byte, while set() and fill() run in C
 * (src/jswrap_arraybuffer.c). copy()'s subarray is a view that holds no bytes; Espruino frees it
 * by reference count as soon as set() returns.
 */
import { shr } from './bits';

/** Copies len bytes; overlapping ranges are handled like memmove (ECMA-262 %TypedArray%.prototype.set). */
export function copy(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (len > 0) dst.set(src.subarray(srcOff, srcOff + len), dstOff);
}

export function fill(dst: Uint8Array, off: number, len: number, value: number): void {
  if (len > 0) dst.fill(value & 0xff, off, off + len);
}

/** Overwrites secret material with zeros. */
export function wipe(dst: Uint8Array): void {
  fill(dst, 0, dst.length, 0);
}

/** Constant-time comparison of two ranges (for MACs and cryptograms). */
export function equalCt(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  let diff = 0;
  for (let i = 0; i < len; i++) diff = diff | (a[aOff + i] ^ b[bOff + i]);
  return diff === 0;
}

/**
 * Plain comparison of two ranges (for identifiers such as AIDs). Four bytes a pass: every SELECT
 * compares an AID of up to 16 bytes, and on Espruino a loop pass costs more than its comparison.
 */
export function equalBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    if (a[aOff + i] !== b[bOff + i] || a[aOff + i + 1] !== b[bOff + i + 1] || a[aOff + i + 2] !== b[bOff + i + 2] || a[aOff + i + 3] !== b[bOff + i + 3]) return false;
  }
  for (; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

export function xorInto(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  for (let i = 0; i < len; i++) dst[dstOff + i] = (dst[dstOff + i] ^ src[srcOff + i]) & 0xff;
}

export function readU16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

export function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = shr(v, 8) & 0xff;
  b[off + 1] = v & 0xff;
}

/** Reads a big-endian 24-bit value. */
export function readU24(b: Uint8Array, off: number): number {
  return (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
}

export function writeU24(b: Uint8Array, off: number, v: number): void {
  b[off] = shr(v, 16) & 0xff;
  b[off + 1] = shr(v, 8) & 0xff;
  b[off + 2] = v & 0xff;
}

/**
 * Reads a big-endian 32-bit value whose top bit is clear (amounts, balances: below 2^31 by the
 * portable-core rule). Returns -1 if the top bit is set, so callers can reject it.
 */
export function readU31(b: Uint8Array, off: number): number {
  if ((b[off] & 0x80) !== 0) return -1;
  return (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
}

/** Writes a value in 0..2^31-1 as 4 big-endian bytes. */
export function writeU31(b: Uint8Array, off: number, v: number): void {
  b[off] = shr(v, 24) & 0x7f;
  b[off + 1] = shr(v, 16) & 0xff;
  b[off + 2] = shr(v, 8) & 0xff;
  b[off + 3] = v & 0xff;
}
