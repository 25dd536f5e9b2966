/**
 * The database port on SQLite (better-sqlite3): WAL journal so readers never block the writer,
 * synchronous FULL so a committed link counter survives a power cut (core/link/counter.ts: "durable
 * before it returns"), foreign keys on. Transactions nest as savepoints (better-sqlite3 does it).
 */
import Database from 'better-sqlite3';
import type { PlatformDb, RunResult, Statement } from './port';

const MAX_CACHED_STATEMENTS = 512;

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

  /**
   * Compiled statements by SQL text: repositories prepare at each call, and compiling costs more
   * than running a short statement. SQLite recompiles a cached statement itself after a schema change.
   */
  private readonly statements = new Map<string, Statement>();

  prepare(sql: string): Statement {
    const cached = this.statements.get(sql);
    if (cached !== undefined) return cached;
    const s = this.native.prepare(sql);
    const statement: Statement = {
      run: (...params: unknown[]): RunResult => ({ changes: s.run(...params).changes }),
      get: (...params: unknown[]) => s.get(...params),
      all: (...params: unknown[]) => s.all(...params),
    };
    // Bounded: SQL built with a varying text (IN lists) would otherwise grow it without end.
    if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
    this.statements.set(sql, statement);
    return statement;
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
