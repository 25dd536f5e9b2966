/**
 * Shared secrets the platform hands out (MQTT passwords for the plain listener) and their one-way
 * hashes: scrypt (RFC 7914) with a random salt, compared in constant time.
 *
 *   stored = "scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>"
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const HASH_LEN = 32;

/** A random secret, base64url (24 bytes = 192 bits by default). */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, HASH_LEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export function verifySecret(secret: string | Buffer, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
  const expected = Buffer.from(parts[5], 'base64url');
  const actual = scryptSync(secret, Buffer.from(parts[4], 'base64url'), expected.length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
