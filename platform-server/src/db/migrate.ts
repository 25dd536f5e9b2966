/**
 * Applies numbered migrations (migrations.ts) once each, in order, each in its own transaction,
 * and records them in schema_migrations. Running it again applies nothing. A database newer than
 * this code (an unknown version recorded) is refused rather than guessed at.
 */
import type Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';

export interface MigrationResult {
  applied: number[];
  version: number;
}

export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const known = new Set(migrations.map((m) => m.version));
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const v of done) {
    if (!known.has(v)) throw new Error(`database has schema migration ${v}, which this version of tapcard does not know`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of ordered) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return { applied, version: ordered.length === 0 ? 0 : ordered[ordered.length - 1].version };
}
