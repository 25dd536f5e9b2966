/**
 * The database port on PostgreSQL (node-postgres), for platform workers sharing one database. The
 * port is synchronous (port.ts says why) and node-postgres is not, so one connection lives in a
 * worker thread (postgres-thread.mjs) and every call posts its query there and blocks on a shared
 * flag (Atomics.wait) until the answer is back: one query in flight per platform process.
 *
 * SQL arrives in the shared dialect: `?` placeholders become $1, $2... Top-level transactions run
 * SERIALIZABLE, the isolation SQLite's single writer gives, and are run again when PostgreSQL
 * reports a serialization failure or a deadlock (SQLSTATE 40001, 40P01); nested ones are savepoints.
 *
 * The thread connects again by itself when the connection is lost; meanwhile every call throws
 * DatabaseUnavailableError at once. A transaction is bound to the connection its BEGIN ran on:
 * when that connection is lost the server rolls it back, and its remaining statements are refused
 * rather than run on the next connection, so nothing of it is written.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { DatabaseUnavailableError, type PlatformDb, type RunResult, type Statement } from './port';
import { UNAVAILABLE_CODE, type ThreadRequest, type ThreadResponse } from './postgres-protocol';

/** Longest wait for one answer (a lock held by another worker included). */
const ANSWER_TIMEOUT_MS = 60_000;
const RETRY_LIMIT = 30;
/** Longest pause before running a transaction again (it grows with each attempt, with jitter). */
const RETRY_PAUSE_MAX_MS = 200;
const RETRYABLE = new Set(['40001', '40P01']);

export class PostgresError extends Error {
  constructor(
    message: string,
    /** SQLSTATE, e.g. 23505 unique violation. */
    readonly code: string | null,
  ) {
    super(message);
  }
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

export class PostgresDb implements PlatformDb {
  readonly dialect = 'postgres';
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly positional = new Map<string, string>();
  /** Never notified: Atomics.wait on it is a synchronous pause. */
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private depth = 0;
  /** The thread's connection the open transaction runs on. */
  private txConnection = 0;
  private closed = false;

  constructor(url: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./postgres-thread.mjs', import.meta.url), {
      workerData: { url, port: port2, flag: this.flag },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
  }

  prepare(sql: string): Statement {
    const text = this.toPositional(sql);
    return {
      run: (...params: unknown[]): RunResult => ({ changes: this.query(text, params).changes }),
      get: (...params: unknown[]) => this.query(text, params).rows[0],
      all: (...params: unknown[]) => this.query(text, params).rows,
    };
  }

  exec(sql: string): void {
    this.call({ id: 0, op: 'exec', sql });
  }

  transaction<T>(fn: () => T): () => T {
    return () => (this.depth === 0 ? this.topLevel(fn) : this.savepoint(fn));
  }

  /** Commits stay synchronous (synchronous_commit on): a COMMIT that answered is durable, and other workers may act on it at once. */
  groupCommits(): void {}

  transactionUnsynced<T>(fn: () => T): () => T {
    return this.transaction(fn);
  }

  transactionGrouped<T>(fn: () => T): () => T {
    return this.transaction(fn);
  }

  durable(): void {}

  whenDurable(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.call({ id: 0, op: 'close' });
    } finally {
      void this.worker.terminate();
      this.port.close();
    }
  }

  private topLevel<T>(fn: () => T): T {
    for (let attempt = 1; ; attempt++) {
      this.txConnection = this.call({ id: 0, op: 'exec', sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE' }).connection;
      this.depth = 1;
      try {
        const result = fn();
        this.exec('COMMIT');
        return result;
      } catch (err) {
        this.rollback();
        if (!(err instanceof PostgresError && err.code !== null && RETRYABLE.has(err.code)) || attempt >= RETRY_LIMIT) throw err;
        // Run again once the conflicting transactions are likely done, not at once into them.
        Atomics.wait(this.pause, 0, 0, Math.random() * Math.min(RETRY_PAUSE_MAX_MS, 2 ** attempt));
      } finally {
        this.depth = 0;
      }
    }
  }

  /** Ends the open transaction; a lost connection has ended it already (the server rolls it back). */
  private rollback(): void {
    try {
      this.exec('ROLLBACK');
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) throw err;
    }
  }

  private savepoint<T>(fn: () => T): T {
    const name = `sp${this.depth}`;
    this.exec(`SAVEPOINT ${name}`);
    this.depth++;
    try {
      const result = fn();
      this.exec(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      this.exec(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    } finally {
      this.depth--;
    }
  }

  private query(sql: string, params: unknown[]): { rows: Record<string, unknown>[]; changes: number } {
    const res = this.call({ id: 0, op: 'query', sql, params });
    for (const row of res.rows) {
      for (const [k, v] of Object.entries(row)) if (v instanceof Uint8Array) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
    return res;
  }

  /** Posts one request to the connection thread and blocks until its answer. */
  private call(req: ThreadRequest): { rows: Record<string, unknown>[]; changes: number; connection: number } {
    if (this.closed && req.op !== 'close') throw new PostgresError('database closed', null);
    const id = this.nextId++;
    this.port.postMessage(this.depth > 0 && req.op !== 'close' ? { ...req, id, connection: this.txConnection } : { ...req, id });
    for (;;) {
      // The thread posts its answer, then bumps the flag: a bump after this load ends the wait.
      const seen = Atomics.load(this.flag, 0);
      const msg = receiveMessageOnPort(this.port) as { message: ThreadResponse } | undefined;
      if (msg === undefined) {
        if (Atomics.wait(this.flag, 0, seen, ANSWER_TIMEOUT_MS) === 'timed-out') throw new DatabaseUnavailableError(`PostgreSQL gave no answer within ${ANSWER_TIMEOUT_MS} ms`);
        continue;
      }
      const res = msg.message;
      if (res.id !== id) continue; // the late answer of a request that timed out
      if (!res.ok) throw res.code === UNAVAILABLE_CODE ? new DatabaseUnavailableError(res.message) : new PostgresError(res.message, res.code);
      return res;
    }
  }

  /** `?` placeholders outside quotes -> $1, $2, ... (cached per SQL text). */
  private toPositional(sql: string): string {
    const known = this.positional.get(sql);
    if (known !== undefined) return known;
    let out = '';
    let n = 0;
    let quote: string | null = null;
    for (const ch of sql) {
      if (quote !== null) {
        if (ch === quote) quote = null;
      } else if (ch === "'" || ch === '"') {
        quote = ch;
      } else if (ch === '?') {
        out += `$${++n}`;
        continue;
      }
      out += ch;
    }
    this.positional.set(sql, out);
    return out;
  }
}
