/**
 * Shared secrets the platform hands out (MQTT passwords for the plain listener) and their one-way
 * hashes: scrypt (RFC 7914) with a random salt, compared in constant time.
 *
 *   stored = "scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>"
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

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

interface StoredHash {
  salt: Buffer;
  expected: Buffer;
  options: { N: number; r: number; p: number; maxmem: number };
}

function parseStored(stored: string): StoredHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0)) return null;
  return {
    salt: Buffer.from(parts[4], 'base64url'),
    expected: Buffer.from(parts[5], 'base64url'),
    options: { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
  };
}

function sameHash(actual: Buffer, h: StoredHash): boolean {
  return actual.length === h.expected.length && timingSafeEqual(actual, h.expected);
}

export function verifySecret(secret: string | Buffer, stored: string): boolean {
  const h = parseStored(stored);
  return h !== null && sameHash(scryptSync(secret, h.salt, h.expected.length, h.options), h);
}

/**
 * verifySecret on libuv's thread pool: scrypt at N=16384 takes tens of milliseconds, which on the
 * event loop would stall every connection of the broker while one CONNECT is checked.
 */
export function verifySecretAsync(secret: string | Buffer, stored: string): Promise<boolean> {
  const h = parseStored(stored);
  if (h === null) return Promise.resolve(false);
  return new Promise((resolve) => {
    scrypt(secret, h.salt, h.expected.length, h.options, (err, actual) => resolve(err === null && sameHash(actual, h)));
  });
}
