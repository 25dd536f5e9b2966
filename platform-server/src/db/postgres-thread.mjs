// The worker thread behind postgres.ts: one node-postgres connection. Each request from the
// platform's thread (postgres-protocol.ts) is answered on the message port, then the shared counter
// is bumped and notified so the waiting thread wakes (Atomics.wait in postgres.ts). Plain
// JavaScript: a worker thread starts without the TypeScript loader the CLI registers.
//
// The connection is made again when it is lost (server restarted, network gone), after a pause
// that grows from RECONNECT_MIN_MS to RECONNECT_MAX_MS. Until then every request is answered at
// once with UNAVAILABLE, so the platform's thread never waits on a server that is not there. Each
// connection has a number: a request inside a transaction names the connection its BEGIN ran on,
// and is refused on any other, so no statement of a transaction the server rolled back with the
// old connection runs on the new one outside it.
//
// Integer types come back as numbers, as SQLite gives them: BIGINT (identity columns, counts,
// millisecond times) and NUMERIC (SUM over BIGINT) stay far below 2^53 in this schema.
import { workerData } from 'node:worker_threads';
import pg from 'pg';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
pg.types.setTypeParser(INT8_OID, (v) => Number(v));
pg.types.setTypeParser(NUMERIC_OID, (v) => Number(v));

/** The code postgres.ts turns into DatabaseUnavailableError (SQLSTATE 08006, connection failure). */
const UNAVAILABLE = '08006';
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;
/**
 * SQLSTATEs after which the connection is gone: class 08 (connection exception), 57P01-57P03
 * (the server shutting down or starting), and the socket errors node reports without one.
 */
const CONNECTION_LOST = /^(08|57P0[123]$|E[A-Z]+$)/;

const { url, port, flag } = workerData;

/** The connection in use, or null while there is none. */
let client = null;
/** Its number (1 for the first). */
let connection = 0;
/** Why the last connection attempt failed or the connection was lost. */
let lastError = 'not connected yet';
/** The attempt under way, or null. */
let attempt = null;
let pause = RECONNECT_MIN_MS;
let closing = false;
/** Statement names per SQL text: the server parses each text once per connection. */
let names = new Map();

function connect() {
  if (attempt !== null || closing) return attempt;
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
  // A connection lost between requests: the next request finds no client.
  c.on('error', (err) => lost(c, err));
  c.on('end', () => lost(c, new Error('connection ended')));
  attempt = c.connect().then(
    () => {
      attempt = null;
      if (closing) return void c.end().catch(() => {});
      client = c;
      connection += 1;
      names = new Map();
      pause = RECONNECT_MIN_MS;
    },
    (err) => {
      attempt = null;
      lastError = err.message;
      c.end().catch(() => {});
      retryLater();
    },
  );
  return attempt;
}

function lost(c, err) {
  if (client !== c) return;
  client = null;
  lastError = err.message;
  c.end().catch(() => {});
  retryLater();
}

function retryLater() {
  if (closing) return;
  const wait = pause;
  pause = Math.min(RECONNECT_MAX_MS, pause * 2);
  setTimeout(connect, wait * (0.5 + Math.random() / 2));
}

function unavailable(req, why) {
  return { id: req.id, ok: false, message: `PostgreSQL unavailable: ${why}`, code: UNAVAILABLE };
}

async function answer(req) {
  if (req.op === 'close') {
    closing = true;
    const c = client;
    client = null;
    if (c !== null) await c.end().catch(() => {});
    return { id: req.id, ok: true, rows: [], changes: 0, connection };
  }
  // The first connection is waited for (the platform is starting); later ones are not.
  if (client === null && connection === 0 && attempt !== null) await attempt;
  const c = client;
  if (c === null) return unavailable(req, lastError);
  if (req.connection !== undefined && req.connection !== connection) return unavailable(req, 'connection lost during the transaction');
  try {
    let r;
    if (req.op === 'exec') {
      r = await c.query(req.sql);
    } else {
      let name = names.get(req.sql);
      if (name === undefined) {
        name = `t${names.size}`;
        names.set(req.sql, name);
      }
      const values = req.params.map((v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
      r = await c.query({ name, text: req.sql, values });
    }
    return { id: req.id, ok: true, rows: r.rows ?? [], changes: r.rowCount ?? 0, connection };
  } catch (err) {
    const code = typeof err.code === 'string' ? err.code : null;
    if ((code !== null && CONNECTION_LOST.test(code)) || client !== c || /Connection terminated|not queryable|Client was closed/.test(err.message)) {
      lost(c, err);
      return unavailable(req, err.message);
    }
    return { id: req.id, ok: false, message: err.message, code };
  }
}

connect();

port.on('message', (req) => {
  void answer(req).then((res) => {
    port.postMessage(res);
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
