/**
 * Messages between postgres.ts and its connection thread (postgres-thread.mjs). `connection` numbers
 * the thread's connections: an answer names the one that ran it, and a request inside a transaction
 * the one its BEGIN ran on (refused on any other).
 */
export type ThreadRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[]; connection?: number }
  | { id: number; op: 'exec'; sql: string; connection?: number }
  | { id: number; op: 'close' };

export type ThreadResponse =
  | { id: number; ok: true; rows: Record<string, unknown>[]; changes: number; connection: number }
  | { id: number; ok: false; message: string; code: string | null };

/** The code of an answer refused because there is no connection (SQLSTATE 08006, connection failure). */
export const UNAVAILABLE_CODE = '08006';
