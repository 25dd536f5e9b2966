/**
 * The PostgreSQL port (platform-server/src/db/postgres.ts) across a server restart: while the
 * server is away every call fails at once with DatabaseUnavailableError; afterwards the same
 * PostgresDb answers again without being reopened; a transaction the restart cut off leaves
 * nothing behind, also when the connection came back before its next statement (that statement is
 * refused, not run outside the transaction on the new connection). Uses a private cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../platform-server/src/db/port';
import { PostgresDb } from '../../platform-server/src/db/postgres';
import { postgresMissing, usePostgres, type PostgresCluster } from '../helpers/postgres';

const skip = postgresMissing('PostgreSQL reconnection');

/** Blocks this thread (the port is synchronous; its connection thread goes on meanwhile). */
function block(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits until the database answers again; returns how long that took. */
function untilAnswering(db: PostgresDb, limitMs: number): number {
  const from = Date.now();
  for (;;) {
    try {
      db.prepare('SELECT 1 AS one').get();
      return Date.now() - from;
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError) || Date.now() - from > limitMs) throw err;
      block(50);
    }
  }
}

describe.skipIf(skip)('PostgreSQL port across a server restart', () => {
  let cluster: PostgresCluster;
  let db: PostgresDb;

  beforeAll(() => {
    cluster = usePostgres({ private: true });
    db = new PostgresDb(cluster.freshDatabase());
    db.exec('CREATE TABLE t (v INTEGER)');
    db.prepare('INSERT INTO t (v) VALUES (?)').run(1);
  }, 60_000);

  afterAll(() => {
    db?.close();
    cluster?.stop();
  });

  const values = (): number[] => (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v);

  it('fails at once while the server is away, answers again once it is back, and keeps nothing of the transaction it cut off', () => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    expect(() =>
      db.transaction(() => {
        insert.run(2);
        cluster.stopServer();
        insert.run(3);
      })(),
    ).toThrow(DatabaseUnavailableError);
    const from = Date.now();
    expect(() => db.prepare('SELECT 1 AS one').get()).toThrow(/PostgreSQL unavailable/);
    expect(Date.now() - from).toBeLessThan(1000);
    cluster.startServer();
    untilAnswering(db, 15_000);
    expect(values()).toEqual([1]);
    insert.run(4);
    expect(values()).toEqual([1, 4]);
  }, 60_000);

  it('refuses the rest of a transaction whose connection was replaced meanwhile: nothing of it is written', () => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    let refused: unknown = null;
    try {
      db.transaction(() => {
        insert.run(5);
        cluster.stopServer();
        cluster.startServer();
        // Time for the connection thread to connect again while this transaction is still open.
        block(5000);
        insert.run(6);
      })();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DatabaseUnavailableError);
    expect((refused as Error).message).toMatch(/connection lost during the transaction/);
    untilAnswering(db, 15_000);
    expect(values()).toEqual([1, 4]);
  }, 60_000);
});
