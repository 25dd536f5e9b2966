/**
 * The database port on SQLite (better-sqlite3): WAL journal so readers never block the writer,
 * synchronous FULL so a committed link counter survives a power cut (core/link/counter.ts: "durable
 * before it returns"), foreign keys on. Transactions nest as savepoints (better-sqlite3 does it).
 *
 * Group commit (groupCommits, port.ts): synchronous NORMAL, under which a WAL commit appends its
 * frames without an fsync and a power cut can only lose the last commits, whole ("WAL mode is
 * always consistent with synchronous=NORMAL", sqlite.org/pragma.html#pragma_synchronous); durable()
 * then does the one fsync of the WAL file that FULL would have done at each commit, for every
 * commit appended before it. Checkpoints sync the WAL before copying it (same page), so nothing
 * already checkpointed waits for durable().
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
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
      run: (...params: unknown[]): RunResult => {
        const changes = s.run(...params).changes;
        this.committed();
        return { changes };
      },
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
    this.committed();
  }

  transaction<T>(fn: () => T): () => T {
    const tx = this.native.transaction(fn);
    return () => {
      const result = tx();
      this.committed();
      return result;
    };
  }

  /**
   * A commit that marks nothing for durable() (port.ts): its statements run inside the transaction,
   * where committed() ignores them, and the commit itself is not reported. Under synchronous FULL
   * (no group commit) it is synced like any other.
   */
  transactionUnsynced<T>(fn: () => T): () => T {
    return this.native.transaction(fn);
  }

  /** Commits appended to the WAL since its last fsync (group commit only). */
  private waiting = false;
  private grouped = false;

  groupCommits(): void {
    // An in-memory database has no WAL and nothing to lose to a power cut.
    if (this.grouped || this.native.memory) return;
    this.native.pragma('synchronous = NORMAL');
    this.grouped = true;
  }

  durable(): void {
    if (!this.waiting) return;
    this.waiting = false;
    let fd: number;
    try {
      fd = openSync(`${this.native.name}-wal`, 'r');
    } catch (err) {
      // No WAL: the last connection checkpointed it into the database (synced) and removed it.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.waiting = true;
      throw err;
    }
    try {
      fsyncSync(fd);
    } catch (err) {
      this.waiting = true;
      throw err;
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    if (!this.native.open) return;
    try {
      this.durable();
    } finally {
      this.native.close();
    }
  }

  /** A write statement or a transaction ended (a read-only transaction too: the fsync then finds nothing to write). */
  private committed(): void {
    if (!this.grouped || this.waiting || this.native.inTransaction) return;
    this.waiting = true;
    setImmediate(() => {
      if (this.native.open) this.durable();
    });
  }
}
