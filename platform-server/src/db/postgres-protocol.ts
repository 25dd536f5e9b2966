/** Messages between postgres.ts and its connection thread (postgres-thread.mjs). */
export type ThreadRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'close' };

export type ThreadResponse =
  | { id: number; ok: true; rows: Record<string, unknown>[]; changes: number }
  | { id: number; ok: false; message: string; code: string | null };
