// The worker thread behind postgres.ts: one node-postgres connection. Each request from the
// platform's thread (postgres-protocol.ts) is answered on the message port, then the shared counter
// is bumped and notified so the waiting thread wakes (Atomics.wait in postgres.ts). Plain
// JavaScript: a worker thread starts without the TypeScript loader the CLI registers.
//
// Integer types come back as numbers, as SQLite gives them: BIGINT (identity columns, counts,
// millisecond times) and NUMERIC (SUM over BIGINT) stay far below 2^53 in this schema.
import { workerData } from 'node:worker_threads';
import pg from 'pg';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
pg.types.setTypeParser(INT8_OID, (v) => Number(v));
pg.types.setTypeParser(NUMERIC_OID, (v) => Number(v));

const { url, port, flag } = workerData;
const client = new pg.Client({ connectionString: url });
const connected = client.connect();
connected.catch(() => {}); // reported by the first request
// A connection lost between requests is reported by the next request's failure.
client.on('error', () => {});
/** Statement names per SQL text: the server parses each text once per connection. */
const names = new Map();

async function answer(req) {
  try {
    await connected;
    if (req.op === 'close') {
      await client.end();
      return { id: req.id, ok: true, rows: [], changes: 0 };
    }
    if (req.op === 'exec') {
      await client.query(req.sql);
      return { id: req.id, ok: true, rows: [], changes: 0 };
    }
    let name = names.get(req.sql);
    if (name === undefined) {
      name = `t${names.size}`;
      names.set(req.sql, name);
    }
    const values = req.params.map((v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
    const r = await client.query({ name, text: req.sql, values });
    return { id: req.id, ok: true, rows: r.rows, changes: r.rowCount ?? 0 };
  } catch (err) {
    return { id: req.id, ok: false, message: err.message, code: err.code ?? null };
  }
}

port.on('message', (req) => {
  void answer(req).then((res) => {
    port.postMessage(res);
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
