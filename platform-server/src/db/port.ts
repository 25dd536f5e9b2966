/**
 * The database port the platform's repositories are written against: prepared statements run
 * synchronously, transactions are functions (nested ones become savepoints). Two engines serve it:
 * SQLite through better-sqlite3 (sqlite.ts, the zero-setup default, one file) and PostgreSQL
 * through node-postgres (postgres.ts, for several workers sharing one database).
 *
 * Synchronous on purpose: the link's replay counters are a CounterStore of the portable core, whose
 * write must be durable before it returns (core/link/counter.ts), and every repository, flow and
 * issuer is written as plain calls inside synchronous transactions. PostgreSQL's client is
 * asynchronous, so postgres.ts runs it in a worker thread and blocks on each answer; a platform
 * process issues one query at a time, and throughput grows by adding worker processes.
 *
 * SQL is written once, in the subset both engines share: `?` placeholders, INSERT ... ON CONFLICT,
 * no rowid, no engine-specific functions. Schema differences (types, triggers) stay in migrations.ts.
 */
export type Dialect = 'sqlite' | 'postgres';

/**
 * The database cannot be reached now (its server restarting, the network gone): nothing of the
 * failed call was written, except that a COMMIT whose answer was lost may have taken effect, as
 * a whole. Callers leave their work where the database has it and try again later; an HTTP
 * request answers 503.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  readonly status = 503;
}

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface Statement {
  run(...params: unknown[]): RunResult;
  /** The first row, or undefined. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface PlatformDb {
  readonly dialect: Dialect;
  prepare(sql: string): Statement;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): void;
  /** Wraps fn in a transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): () => T;
  /**
   * Group commit, for the long-running platform: from now on a commit may return before it is on
   * disk, and the commits of one event-loop turn reach the disk together soon after its end, or
   * earlier by durable(). Whatever depends on a commit must not leave the process before
   * whenDurable() has resolved (or durable() returned): the platform holds its frames
   * (link/frames-after-commit.ts), issuer calls and HTTP answers until then. A power cut then loses only commits nobody outside has heard of, a whole number of them
   * (old state or new). An engine whose commits are durable at once does nothing here.
   */
  groupCommits(): void;
  /**
   * A transaction that asks for no durable() of its own under group commit: it reaches the disk
   * with the next commit that does (the WAL is synced as a whole, in commit order), and frames
   * sent meanwhile do not wait for it. Only for a record a power cut may take back without harm
   * because nothing outside depends on it (a job's progress: a job resumed from an older point
   * starts its session over, download-job.ts). Under group commit it joins its turn's transaction
   * (transactionGrouped), so a kill -9 before the turn ends takes it back as a power cut would.
   * Engines whose commits are durable at once run it as transaction().
   */
  transactionUnsynced<T>(fn: () => T): () => T;
  /**
   * A transaction that commits with the other grouped commits of its event-loop turn, under group
   * commit: one engine transaction for all of them, committed at the end of the turn, before any
   * durable() or whenDurable() fsync, or by the next transaction() or plain statement (which commit
   * at once, grouped ones before them included). Until then a kill -9 loses it as a power cut
   * would: only for records nobody outside the process sees before they are durable (what the
   * link's frames carry, held by frames-after-commit.ts; what an HTTP answer says, after its
   * durable()), never for one written after an outside party acted (an issuer's ledger), which a
   * kill must not lose, unless asking that party again is harmless (an issued package: the issuer
   * answers the same job with the same package, download-package.ts). Asks for durable() like
   * transaction(). Engines whose commits are durable at once run it as transaction().
   */
  transactionGrouped<T>(fn: () => T): () => T;
  /** Makes every commit so far durable; returns at once when none is waiting. Blocks the thread while the disk works. */
  durable(): void;
  /**
   * Resolves once every commit made before the call is durable, without blocking the event loop
   * meanwhile (the fsync runs off it); rejects when they could not be made durable. At once when
   * none is waiting.
   */
  whenDurable(): Promise<void>;
  close(): void;
}
