/**
 * The platform's HTTP API (docs/platform-http.md): read-only status for operators and scripts.
 * JSON in and out; unknown paths answer 404, other methods 405. It listens on loopback unless told
 * otherwise and has no authentication yet, so it serves nothing secret: device listings carry ids,
 * serials, status and times, never keys or credentials.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getDevice, listDevices, type DeviceRecord } from '../db/devices';
import type { PlatformDb } from '../db/database';
import { DatabaseUnavailableError } from '../db/port';

export interface HttpStatus {
  mqtt: { url: string; tlsUrl: string | null; embedded: boolean };
}

/** Routes another part mounts on this server (the terminal API, terminals/terminal-api.ts); it answers its own requests. */
export interface HttpRoutes {
  handles(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
}

export interface PlatformHttp {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The public view of a device (also what `tapcard platform devices --json` prints). */
export function deviceView(d: DeviceRecord): Record<string, unknown> {
  return {
    id: d.id,
    status: d.status,
    seSerial: d.seSerial,
    isdKeyVersion: d.isdKeyVersion,
    certSerial: d.certSerial,
    createdAt: d.createdAt,
    lastSeenAt: d.lastSeenAt,
  };
}

export async function startHttp(db: PlatformDb, status: HttpStatus, port: number, host = '127.0.0.1', mounted: HttpRoutes[] = []): Promise<PlatformHttp> {
  const server = createServer((req, res) => {
    answerAfterCommit(db, res);
    const url = new URL(req.url ?? '/', 'http://platform');
    const routes = mounted.find((m) => m.handles(url.pathname));
    if (routes !== undefined) {
      routes.handle(req, res, url);
      return;
    }
    try {
      handle(db, status, req, res);
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) throw err;
      send(res, 503, { error: 'the platform database is unavailable: try again shortly' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${actual}`, port: actual, close: () => closeServer(server) };
}

/**
 * An answer (or a part of a streamed one) leaves only after the commits before it are on disk
 * (group commit, db/port.ts): a client told "accepted" must find it after a power cut. When they
 * cannot be made durable, the connection is dropped instead, so the client knows nothing more than
 * after a network failure.
 */
function answerAfterCommit(db: PlatformDb, res: ServerResponse): void {
  const durableFirst = <F extends (...args: never[]) => unknown>(out: F): F =>
    ((...args: Parameters<F>) => {
      try {
        db.durable();
      } catch (err) {
        return res.destroy(err as Error);
      }
      return out(...args);
    }) as F;
  res.write = durableFirst(res.write.bind(res) as ServerResponse['write']);
  res.end = durableFirst(res.end.bind(res) as ServerResponse['end']);
}

function handle(db: PlatformDb, status: HttpStatus, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://platform');
  if (req.method !== 'GET') return send(res, 405, { error: `method ${req.method} not allowed` });
  if (url.pathname === '/v1/health') {
    return send(res, 200, { status: 'ok', mqtt: status.mqtt, devices: listDevices(db).length });
  }
  if (url.pathname === '/v1/devices') return send(res, 200, { devices: listDevices(db).map(deviceView) });
  const m = /^\/v1\/devices\/([^/]+)$/.exec(url.pathname);
  if (m !== null) {
    const d = getDevice(db, decodeURIComponent(m[1]));
    return d === undefined ? send(res, 404, { error: `no device '${m[1]}'` }) : send(res, 200, deviceView(d));
  }
  send(res, 404, { error: `no resource ${url.pathname}` });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
