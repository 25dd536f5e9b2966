/**
 * The database port on SQLite (better-sqlite3): WAL journal so readers never block the writer,
 * synchronous FULL so a committed link counter survives a power cut (core/link/counter.ts: "durable
 * before it returns"), foreign keys on. Transactions nest as savepoints (better-sqlite3 does it).
 *
 * Group commit (groupCommits, port.ts): synchronous NORMAL, under which a WAL commit appends its
 * frames without an fsync and a power cut can only lose the last commits, whole ("WAL mode is
 * always consistent with synchronous=NORMAL", sqlite.org/pragma.html#pragma_synchronous); an fsync
 * of the WAL file then does what FULL would have done at each commit, for every commit appended
 * before it began. whenDurable() runs that fsync on libuv's thread pool, so the event loop goes on
 * (more commits, more frames) while the disk works: one fsync at a time, each covering the commits
 * appended before it started, the commits made meanwhile waiting for the next (group commit in the
 * usual sense). durable() is the same fsync on the calling thread, for close and the HTTP answers.
 * Checkpoints sync the WAL before copying it (same page), so nothing already checkpointed waits.
 *
 * The turn's transaction (transactionGrouped, transactionUnsynced; port.ts): under group commit
 * those commits of one event-loop turn are one SQLite transaction. The first of them opens it
 * (BEGIN IMMEDIATE: the write lock at once, so no later upgrade can fail), each is a savepoint
 * inside it (rolled back alone when it throws, as before), and it commits at the end of the turn,
 * or earlier: before any fsync (durable(), whenDurable(), close()), so an fsync covers whole turns,
 * and with any other write, which runs inside it and commits it at once, so a write a kill -9 must
 * not lose (an issuer's ledger has acted on it) is on the WAL when it returns, as before. A page
 * several commits of a turn change reaches the WAL once, and one BEGIN and COMMIT serve them all.
 * When SQLite rolls the whole turn back itself (disk full, I/O error) or its COMMIT fails, the
 * turn is lost as in a power cut, but this process still holds state that assumed it: writes are
 * refused from then on (DatabaseUnavailableError) and waiting whenDurable() calls rejected, until a
 * restart reads the database again.
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseUnavailableError, type PlatformDb, type RunResult, type Statement } from './port';

const MAX_CACHED_STATEMENTS = 512;
/**
 * WAL pages between automatic checkpoints once commits are grouped (SQLite's default: 1,000). A
 * checkpoint runs inside the commit that crosses the mark, on the calling thread (the event loop),
 * and waits for the disk there: an fsync of the WAL before copying it, one of the database after,
 * and one of the WAL's new header when the next commit starts the file over. At 1,000 terminals in
 * the platform bench that was about 70 checkpoints and 220 fsyncs on the event loop, against about
 * 40 group-commit fsyncs off it. Ten times the default checkpoints a tenth as often (each copies
 * only the last version of a page, so fewer pages in all); the WAL file grows to about 40 MB of
 * 4 KB pages before it starts over, and its index (shared memory) to about 100 KB.
 */
const GROUPED_CHECKPOINT_PAGES = 10_000;

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
      // Sub-journals in memory. SQLite keeps the original of each page a savepoint changes (every
      // transaction inside the turn's, below) in a sub-journal, to roll that savepoint back alone.
      // better-sqlite3 builds SQLite with TEMP_STORE=1, under which a sub-journal past 64 KB spills
      // to a temporary file (/var/tmp/etilqs_*) and, once a file, is not truncated when the
      // outermost savepoint ends: each later savepoint of the turn wrote every page it changed to
      // it, two pwrite calls a page (87 % of the platform's pwrite calls in the platform bench at
      // 1,000 terminals, 9,676 of 11,168 over 3 s traced; the rest the WAL's). In memory it is
      // truncated at each outermost release, so it holds one savepoint's pages at a time. Crash
      // recovery never reads it (the WAL ignores frames of a transaction that did not commit), so
      // durability is unchanged. SQLite's other temporary storage (sorts, TEMP tables) is in memory
      // too; the platform's queries sort a few thousand rows at most.
      this.native.pragma('temp_store = MEMORY');
      this.run = this.native.transaction((fn: () => unknown) => fn());
      this.beginTurnStatement = this.native.prepare('BEGIN IMMEDIATE');
      this.commitTurnStatement = this.native.prepare('COMMIT');
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
        this.refuseIfLost();
        if (this.depth > 0 || !this.turnOpen) {
          const changes = s.run(...params).changes;
          this.committed();
          return { changes };
        }
        // A plain write while the turn is open: inside it, then committed with it at once.
        let changes: number;
        try {
          changes = s.run(...params).changes;
        } catch (err) {
          this.checkTurn(err);
          throw err;
        }
        this.commitTurn();
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
    this.refuseIfLost();
    if (this.depth === 0) this.commitTurn();
    this.native.exec(sql);
    this.committed();
  }

  /**
   * better-sqlite3's transaction wrapper, made once: it runs the function it is given, so every
   * transaction shares it instead of building (and collecting) a wrapper of its own per call,
   * which better-sqlite3 makes with four variants each. Nested calls still become savepoints.
   */
  private readonly run: (fn: () => unknown) => unknown;

  transaction<T>(fn: () => T): () => T {
    return () => {
      this.refuseIfLost();
      if (this.depth > 0 || !this.turnOpen) {
        const result = this.run(fn) as T;
        this.committed();
        return result;
      }
      // Inside the open turn (a savepoint), which commits with it at once.
      const result = this.runInTurn(fn);
      this.commitTurn();
      this.committed();
      return result;
    };
  }

  transactionGrouped<T>(fn: () => T): () => T {
    return () => {
      const result = this.runInTurn(fn);
      this.committed();
      return result;
    };
  }

  /**
   * A commit that marks nothing for durable() (port.ts): its statements run inside the transaction
   * (the shared wrapper above), where committed() ignores them, and the commit itself is not reported. Under synchronous FULL
   * (no group commit) it is synced like any other.
   */
  transactionUnsynced<T>(fn: () => T): () => T {
    return () => this.runInTurn(fn);
  }

  /** Transactions running (nested ones counted): committed() counts only the outermost, and no turn ends inside one. */
  private depth = 0;

  /** fn in the turn's transaction (opened if need be), or nested in the transaction running. */
  private runInTurn<T>(fn: () => T): T {
    this.openTurn();
    this.depth++;
    let result: T;
    try {
      result = this.run(fn) as T;
    } catch (err) {
      this.depth--;
      if (this.depth === 0) this.checkTurn(err);
      throw err;
    }
    this.depth--;
    return result;
  }

  private readonly beginTurnStatement: Database.Statement;
  private readonly commitTurnStatement: Database.Statement;
  /** The turn's transaction is open (group commit); its COMMIT is due at the end of the turn at the latest. */
  private turnOpen = false;
  private turnEnd: NodeJS.Immediate | null = null;
  /** A turn SQLite rolled back or could not commit: writes are refused from then on (the class comment). */
  private lostTurn: DatabaseUnavailableError | null = null;

  /** Every write, grouped or not: after a lost turn this process's state may assume what SQLite undid. */
  private refuseIfLost(): void {
    if (this.lostTurn !== null) throw this.lostTurn;
  }

  private openTurn(): void {
    this.refuseIfLost();
    if (!this.grouped || this.turnOpen || this.depth > 0 || this.native.inTransaction) return;
    this.beginTurnStatement.run();
    this.turnOpen = true;
    this.turnEnd = setImmediate(() => {
      this.turnEnd = null;
      try {
        this.commitTurn();
      } catch {
        // Recorded and told to the waiters (turnLost).
      }
    });
  }

  /** Commits the turn's transaction, if one is open. */
  private commitTurn(): void {
    if (!this.turnOpen) return;
    if (this.depth > 0) throw new Error('the turn cannot commit inside a transaction');
    this.turnClosed();
    try {
      this.commitTurnStatement.run();
    } catch (err) {
      if (this.native.inTransaction) this.native.exec('ROLLBACK');
      this.turnLost(err);
      throw err;
    }
  }

  /** After a failed write in the turn: SQLite may have rolled the whole turn back (SQLITE_FULL, SQLITE_IOERR...). */
  private checkTurn(err: unknown): void {
    if (!this.turnOpen || this.native.inTransaction) return;
    this.turnClosed();
    this.turnLost(err);
  }

  private turnClosed(): void {
    this.turnOpen = false;
    if (this.turnEnd !== null) {
      clearImmediate(this.turnEnd);
      this.turnEnd = null;
    }
  }

  private turnLost(err: unknown): void {
    this.lostTurn = new DatabaseUnavailableError(`SQLite rolled back commits this process relies on (${err instanceof Error ? err.message : String(err)}): restart it`);
    this.failed(this.commits, this.lostTurn);
  }

  /** Commits appended to the WAL (outside transactions) since grouping began, and how many of them are known durable. */
  private commits = 0;
  private durableCommits = 0;
  private grouped = false;
  /** An fsync on the thread pool is running; a background one is due at the end of this turn. */
  private syncing = false;
  private syncDue = false;
  /** whenDurable() callers, each with the commit count it waits for, in order. */
  private waiters: { commits: number; resolve(): void; reject(err: unknown): void }[] = [];

  groupCommits(): void {
    // An in-memory database has no WAL and nothing to lose to a power cut.
    if (this.grouped || this.native.memory) return;
    this.native.pragma('synchronous = NORMAL');
    this.native.pragma(`wal_autocheckpoint = ${GROUPED_CHECKPOINT_PAGES}`);
    this.grouped = true;
  }

  durable(): void {
    this.commitTurn();
    if (this.durableCommits >= this.commits) return;
    const covered = this.commits;
    const fd = this.walFd();
    if (fd !== null) fsyncSync(fd);
    this.synced(covered);
  }

  whenDurable(): Promise<void> {
    if (this.durableCommits >= this.commits) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ commits: this.commits, resolve, reject });
      this.syncSoon();
    });
  }

  close(): void {
    if (!this.native.open) return;
    try {
      if (this.lostTurn === null) this.durable();
    } finally {
      this.native.close();
      // A background fsync still running closes it when it ends.
      if (this.wal !== null && !this.syncing) closeSync(this.wal);
      this.wal = null;
    }
  }

  /** A write statement or a transaction ended (a read-only transaction too: the fsync then finds nothing to write). */
  private committed(): void {
    if (!this.grouped || this.depth > 0) return;
    if (!this.turnOpen && this.native.inTransaction) return; // inside a transaction begun through `native` (tests)
    this.commits++;
    this.syncSoon();
  }

  /** An fsync on the thread pool at the end of this turn (after the one running), for the commits appended by then. */
  private syncSoon(): void {
    if (this.syncDue) return;
    this.syncDue = true;
    setImmediate(() => {
      this.syncDue = false;
      this.syncInBackground();
    });
  }

  private syncInBackground(): void {
    if (this.syncing || this.durableCommits >= this.commits || !this.native.open) return;
    try {
      this.commitTurn();
    } catch {
      return; // the turn is lost: its waiters are told
    }
    const covered = this.commits;
    let fd: number | null;
    try {
      fd = this.walFd();
    } catch (err) {
      // Not known durable: its waiters are told; later commits or callers try again.
      this.failed(covered, err);
      return;
    }
    if (fd === null) return this.synced(covered);
    this.syncing = true;
    fsync(fd, (err) => {
      this.syncing = false;
      // The database closed while it ran (close() synced on its own thread).
      if (!this.native.open) {
        if (this.wal === null) closeSync(fd);
        return;
      }
      if (err !== null) {
        this.failed(covered, err);
        if (this.waiters.length > 0) this.syncSoon();
        return;
      }
      this.synced(covered);
      if (this.durableCommits < this.commits) this.syncSoon();
    });
  }

  /**
   * The WAL file, opened once for the fsyncs and kept open until close(): an fsync on the thread
   * pool is then one hop off the event loop, not three (open, fsync, close). The file stays the
   * same while this connection is open: SQLite starts a WAL over from its beginning after a
   * checkpoint (and truncates it at most), and deletes it only when the last connection closes.
   * Its locks are on the database and -shm files, which this descriptor does not touch. Null while
   * there is no WAL file: nothing was ever written through this connection (an fsync has nothing to
   * do).
   */
  private wal: number | null = null;

  private walFd(): number | null {
    if (this.wal !== null) return this.wal;
    try {
      this.wal = openSync(`${this.native.name}-wal`, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return this.wal;
  }

  private synced(covered: number): void {
    if (covered > this.durableCommits) this.durableCommits = covered;
    while (this.waiters.length > 0 && this.waiters[0].commits <= this.durableCommits) (this.waiters.shift() as (typeof this.waiters)[number]).resolve();
  }

  private failed(covered: number, err: unknown): void {
    while (this.waiters.length > 0 && this.waiters[0].commits <= covered) (this.waiters.shift() as (typeof this.waiters)[number]).reject(err);
  }
}
