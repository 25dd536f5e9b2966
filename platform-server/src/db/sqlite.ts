/**
 * The database port on SQLite (better-sqlite3): WAL journal so readers never block the writer,
 * synchronous FULL so a committed link counter survives a power cut (core/link/counter.ts: "durable
 * before it returns"), foreign keys on. Transactions nest as savepoints (better-sqlite3 does it).
 */
import Database from 'better-sqlite3';
import type { PlatformDb, RunResult, Statement } from './port';

export class SqliteDb implements PlatformDb {
  readonly dialect = 'sqlite';
  /** The engine's own handle, for what only SQLite has (pragmas in tests). */
  readonly native: Database.Database;

  constructor(file: string) {
    this.native = new Database(file);
    try {
      this.native.pragma('journal_mode = WAL');
      this.native.pragma('synchronous = FULL');
      this.native.pragma('foreign_keys = ON');
      this.native.pragma('busy_timeout = 5000');
    } catch (err) {
      this.native.close();
      throw err;
    }
  }

  prepare(sql: string): Statement {
    const s = this.native.prepare(sql);
    return {
      run: (...params: unknown[]): RunResult => ({ changes: s.run(...params).changes }),
      get: (...params: unknown[]) => s.get(...params),
      all: (...params: unknown[]) => s.all(...params),
    };
  }

  exec(sql: string): void {
    this.native.exec(sql);
  }

  transaction<T>(fn: () => T): () => T {
    return this.native.transaction(fn);
  }

  close(): void {
    this.native.close();
  }
}
