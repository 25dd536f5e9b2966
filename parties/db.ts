/**
 * The database port the simulated parties are written against: the same synchronous shape as the
 * platform's (prepared statements, transactions as functions), so the composition root opens it
 * with the same engines, on a store of the parties' own: `parties.db` beside the platform's SQLite
 * file, or the `parties` schema of the workers' PostgreSQL database (parties/README.md).
 */
export interface PartiesStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface PartiesDb {
  prepare(sql: string): PartiesStatement;
  /** Wraps fn in a transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): () => T;
}

/** Current time as the parties' tables store it (ISO-8601 UTC). */
export function nowIso(): string {
  return new Date().toISOString();
}
