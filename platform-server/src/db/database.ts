/**
 * Opens the platform's database with every pending migration applied: a postgres:// URL opens
 * PostgreSQL (postgres.ts; several workers share it), anything else is a SQLite file (sqlite.ts,
 * the zero-setup default). Repositories see only the port (port.ts).
 */
import { migrate } from './migrate';
import type { PlatformDb } from './port';
import { PostgresDb, isPostgresUrl } from './postgres';
import { SqliteDb } from './sqlite';

export type { PlatformDb } from './port';

export interface OpenOptions {
  /** Skip migrations (tests of migrate() itself). */
  migrate?: boolean;
}

/** pg_advisory_lock key held while migrating, so workers starting together migrate once. */
const MIGRATION_LOCK = 0x7461_7063; // 'tapc'

export function openDatabase(target: string, options: OpenOptions = {}): PlatformDb {
  const db: PlatformDb = isPostgresUrl(target) ? new PostgresDb(target) : new SqliteDb(target);
  try {
    if (options.migrate !== false) {
      if (db.dialect === 'postgres') {
        db.prepare('SELECT pg_advisory_lock(?)').get(MIGRATION_LOCK);
        try {
          migrate(db);
        } finally {
          db.prepare('SELECT pg_advisory_unlock(?)').get(MIGRATION_LOCK);
        }
      } else {
        migrate(db);
      }
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Current time as the schema stores it (ISO-8601 UTC). */
export function nowIso(): string {
  return new Date().toISOString();
}
