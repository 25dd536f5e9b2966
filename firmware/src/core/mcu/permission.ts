/**
 * The permission flow (ARCHITECTURE.md flow 1, seed claim 2; docs/flows.md §1): the MCU asks the
 * platform (TAR_PERMISSION) for the right to manage its SE and gets the SE's ISD key set back,
 * inside a PoR ciphered and checksummed under the device's link keys, with an expiry.
 *
 *   request  seSerial(10)
 *   grant    result(1) | kvn(1) | expiresAt(4, Unix seconds, 31-bit) | keyLen(1) | K-ENC | K-MAC | K-DEK
 *            result GRANT_OK; any other result carries nothing after it.
 *
 * State machine (permissionStep): IDLE --REQUEST--> REQUESTED --GRANT--> GRANTED --OPENED--> OPEN
 *   --CLOSE--> IDLE;  REQUESTED --DENY--> IDLE;  any --EXPIRE or CLOSE--> IDLE (keys wiped).
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

export type PermissionState = 'IDLE' | 'REQUESTED' | 'GRANTED' | 'OPEN';
export type PermissionEvent = 'REQUEST' | 'GRANT' | 'DENY' | 'OPENED' | 'EXPIRE' | 'CLOSE';

/** The next state, or 'ILLEGAL' for an event the state does not take. */
export function permissionStep(state: PermissionState, event: PermissionEvent): PermissionState | 'ILLEGAL' {
  switch (event) {
    case 'REQUEST':
      return state === 'IDLE' ? 'REQUESTED' : 'ILLEGAL';
    case 'GRANT':
      return state === 'REQUESTED' ? 'GRANTED' : 'ILLEGAL';
    case 'DENY':
      return state === 'REQUESTED' ? 'IDLE' : 'ILLEGAL';
    case 'OPENED':
      return state === 'GRANTED' ? 'OPEN' : 'ILLEGAL';
    case 'EXPIRE':
    case 'CLOSE':
      return 'IDLE';
    default:
      return exhaustive(event);
  }
}

function exhaustive(event: never): PermissionState {
  throw new Error('permissionStep: unknown event ' + String(event));
}

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
 * Checks a grant in g[0, len): GRANT_OK with a whole key set and an expiry after now. Returns the
 * key length, or -1 (denied, malformed or expired).
 */
export function checkGrant(g: Uint8Array, len: number, nowSeconds: number): number {
  if (len < 1 || len > g.length || g[GRANT_AT_RESULT] !== GRANT_OK || len < GRANT_AT_KEYS) return -1;
  const n = g[GRANT_AT_KEY_LEN];
  if ((n !== 16 && n !== 24 && n !== 32) || len !== grantLength(n)) return -1;
  const expires = readU31(g, GRANT_AT_EXPIRES);
  if (expires < 0 || expires <= nowSeconds) return -1;
  return n;
}
