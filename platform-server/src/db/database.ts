/**
 * Opens the platform's SQLite database (better-sqlite3): WAL journal so readers never block the
 * writer, synchronous FULL so a committed link counter survives a power cut (counter.ts: "durable
 * before it returns"), foreign keys on, and every pending migration applied.
 */
import Database from 'better-sqlite3';
import { migrate } from './migrate';

export type PlatformDb = Database.Database;

export interface OpenOptions {
  /** Skip migrations (tests of migrate() itself). */
  migrate?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): PlatformDb {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (options.migrate !== false) migrate(db);
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
