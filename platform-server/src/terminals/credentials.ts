/**
 * Per-terminal credentials for the terminal API (table `terminals`): each terminal (the seed's
 * first..fourth terminals) has an id, a role that says which flows it may run, and a bearer key of
 * 32 random bytes. Only SHA-256 of the key is stored (a random 256-bit key needs no slow hash), and
 * the comparison is constant-time. The key is shown once, when the terminal is registered.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { nowIso, type PlatformDb } from '../db/database';

export const TERMINAL_ROLES = ['transit', 'transit-payment', 'bank', 'merchant'] as const;
export type TerminalRole = (typeof TERMINAL_ROLES)[number];

export interface TerminalIdentity {
  id: string;
  role: TerminalRole;
}

const HASH_PREFIX = 'sha256:';
const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

function hashKey(key: string): string {
  return HASH_PREFIX + createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Registers a terminal; returns its key (64 hex digits: never mistaken for an option), which is not stored. */
export function registerTerminal(db: PlatformDb, id: string, role: TerminalRole): string {
  if (!ID_PATTERN.test(id)) throw new Error(`terminal id must be 1..64 of A-Z a-z 0-9 . _ -, got '${id}'`);
  if (!TERMINAL_ROLES.includes(role)) throw new Error(`terminal role must be one of ${TERMINAL_ROLES.join(', ')}, got '${role}'`);
  const key = randomBytes(32).toString('hex');
  db.prepare('INSERT INTO terminals (id, role, credential_hash, created_at) VALUES (?, ?, ?, ?)').run(id, role, hashKey(key), nowIso());
  return key;
}

/** The terminal when id and key match, else null (unknown id and wrong key look the same). */
export function authenticateTerminal(db: PlatformDb, id: string, key: string): TerminalIdentity | null {
  const row = db.prepare('SELECT id, role, credential_hash FROM terminals WHERE id = ?').get(id) as
    | { id: string; role: TerminalRole; credential_hash: string }
    | undefined;
  const given = Buffer.from(hashKey(key));
  const stored = Buffer.from(row?.credential_hash ?? hashKey(''));
  const same = given.length === stored.length && timingSafeEqual(given, stored);
  return row !== undefined && same ? { id: row.id, role: row.role } : null;
}
