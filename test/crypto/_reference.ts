/**
 * Cross-check helpers for the crypto tests: a deterministic byte stream (so failures reproduce)
 * and node:crypto single-block encryptions as the independent reference.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

/** xorshift32 bytes from a fixed seed; test-only, not a random source. */
export function pseudoRandomBytes(seed: number, n: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/** One ECB block through OpenSSL, e.g. algorithm 'aes-128-ecb', 'des-ede-ecb', 'des-ede3-ecb'. */
export function nodeEcb(algorithm: string, key: Uint8Array, block: Uint8Array, decrypt: boolean): Uint8Array {
  const c = decrypt
    ? createDecipheriv(algorithm, key, null)
    : createCipheriv(algorithm, key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}
