/**
 * The permission flow (ARCHITECTURE.md flow 1, seed claim 2; docs/flows.md §1): the MCU asks the
 * platform (TAR_PERMISSION) for the right to manage its SE and gets the SE's ISD key set back,
 * inside a PoR ciphered and checksummed under the device's link keys, with an expiry.
 *
 *   request  seSerial(10)
 *   grant    result(1) | kvn(1) | expiresAt(4, Unix seconds, 31-bit) | keyLen(1) | K-ENC | K-MAC | K-DEK
 *            result GRANT_OK; any other result carries nothing after it.
 *
 * The MCU (mcu.ts) waits for the grant as its pending request; the session it opens with it is
 * management-session.ts.
 */
import { readU31, writeU31 } from '../bytes';

export const GRANT_OK = 0x00;
export const GRANT_DENIED = 0x01;
export const GRANT_AT_RESULT = 0;
export const GRANT_AT_KVN = 1;
export const GRANT_AT_EXPIRES = 2;
export const GRANT_AT_KEY_LEN = 6;
export const GRANT_AT_KEYS = 7;
export const SE_SERIAL_LEN = 10;

/** Length of a grant carrying keys of keyLen bytes. */
export function grantLength(keyLen: number): number {
  return GRANT_AT_KEYS + 3 * keyLen;
}

/** Writes a grant into out; returns its length, or -1 for a bad key length or a short buffer. */
export function encodeGrant(kvn: number, expiresAt: number, enc: Uint8Array, mac: Uint8Array, dek: Uint8Array, out: Uint8Array): number {
  const n = enc.length;
  if ((n !== 16 && n !== 24 && n !== 32) || mac.length !== n || dek.length !== n) return -1;
  if (out.length < grantLength(n) || expiresAt < 0) return -1;
  out[GRANT_AT_RESULT] = GRANT_OK;
  out[GRANT_AT_KVN] = kvn & 0xff;
  writeU31(out, GRANT_AT_EXPIRES, expiresAt);
  out[GRANT_AT_KEY_LEN] = n;
  for (let i = 0; i < n; i++) {
    out[GRANT_AT_KEYS + i] = enc[i];
    out[GRANT_AT_KEYS + n + i] = mac[i];
    out[GRANT_AT_KEYS + 2 * n + i] = dek[i];
  }
  return grantLength(n);
}

/**
 * Checks a grant in g[off, off + len): GRANT_OK with a whole key set and an expiry after now.
 * Returns the key length, or -1 (denied, malformed or expired).
 */
export function checkGrant(g: Uint8Array, off: number, len: number, nowSeconds: number): number {
  if (len < GRANT_AT_KEYS || off + len > g.length || g[off + GRANT_AT_RESULT] !== GRANT_OK) return -1;
  const n = g[off + GRANT_AT_KEY_LEN];
  if ((n !== 16 && n !== 24 && n !== 32) || len !== grantLength(n)) return -1;
  const expires = readU31(g, off + GRANT_AT_EXPIRES);
  if (expires < 0 || expires <= nowSeconds) return -1;
  return n;
}
