/**
 * Opens the platform's database with every pending migration applied: a postgres:// URL opens
 * PostgreSQL (postgres.ts; several workers share it), anything else is a SQLite file (sqlite.ts,
 * the zero-setup default). Repositories see only the port (port.ts). The same engines open another
 * schema's store when told (the simulated parties' own, cli/parties-store.ts).
 */
import { migrate } from './migrate';
import { MIGRATIONS, type Migration } from './migrations';
import type { PlatformDb } from './port';
import { PostgresDb, isPostgresUrl } from './postgres';
import { SqliteDb } from './sqlite';

export type { PlatformDb } from './port';

export interface OpenOptions {
  /** Skip migrations (tests of migrate() itself). */
  migrate?: boolean;
  /** The schema's migrations (default: the platform's). */
  migrations?: readonly Migration[];
  /** PostgreSQL: the schema the tables live in (made when missing) instead of the server's default; ignored for SQLite. */
  schema?: string;
}

/** pg_advisory_lock key held while migrating, so workers starting together migrate once. */
const MIGRATION_LOCK = 0x7461_7063; // 'tapc'

export function openDatabase(target: string, options: OpenOptions = {}): PlatformDb {
  const postgres = isPostgresUrl(target);
  const schema = postgres ? options.schema : undefined;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`schema name '${schema}': lower-case letters, digits and _`);
  const db: PlatformDb = postgres ? new PostgresDb(schema === undefined ? target : inSchema(target, schema)) : new SqliteDb(target);
  const migrations = options.migrations ?? MIGRATIONS;
  try {
    if (options.migrate !== false) {
      if (db.dialect === 'postgres') {
        db.prepare('SELECT pg_advisory_lock(?)').get(MIGRATION_LOCK);
        try {
          if (schema !== undefined) db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
          migrate(db, migrations);
        } finally {
          db.prepare('SELECT pg_advisory_unlock(?)').get(MIGRATION_LOCK);
        }
      } else {
        migrate(db, migrations);
      }
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The URL with the connection's search_path set to `schema` (libpq's `options` parameter). */
function inSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

let isoMs = -1;
let iso = '';

/**
 * Current time as the schema stores it (ISO-8601 UTC, to the millisecond). The text of the last
 * millisecond is kept: a job step writes its row, its event and an audit entry in the same
 * millisecond, and formatting cost ten times reading the clock (~480 against ~50 ns here).
 */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = new Date(ms).toISOString();
  }
  return iso;
}
