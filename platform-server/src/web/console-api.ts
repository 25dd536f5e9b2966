/**
 * The operator console (docs/web.md) on the platform's HTTP server: the page at /console/, its
 * assets under /assets/, and its JSON API under /v1/console/. Everything but the pages, their assets
 * and the login answers 401 without an operator session (operator-sessions.ts); every POST but the
 * login must carry the session's CSRF token, and a login or POST from another origin is refused.
 * The board page (/board/) is served beside it with no login: it reads nothing from the platform,
 * only the Espruino board the browser connects to over Web Serial.
 *
 *   POST /v1/console/login      {credential}         -> {csrf} + session cookie
 *   POST /v1/console/logout
 *   GET  /v1/console/session                         -> {csrf}
 *   GET  /v1/console/devices | jobs | terminals | ledgers | applications
 *   GET  /v1/console/events                          -> text/event-stream of job changes
 *   POST /v1/console/devices/{id}/download {app}     -> queued job
 *   POST /v1/console/devices/{id}/delete   {app}     -> queued job
 *   POST /v1/console/devices/{id}/status             -> queued job (reads the SE's registry and balances)
 *   POST /v1/console/terminals {id, role}            -> {key} shown once
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { audit } from '../db/audit';
import { nowIso } from '../db/database';
import { DatabaseUnavailableError } from '../db/port';
import { queueDownload } from '../flows/download-job';
import { queueDelete } from '../flows/delete-job';
import { IssuerError } from '../../../contracts/issuer';
import { JobRequestError } from '../flows/job-request';
import { queueStatus } from '../flows/status-job';
import type { HttpRoutes } from '../http/server';
import type { Platform } from '../platform-home';
import { registerTerminal, type TerminalRole } from '../terminals/credentials';
import { readJson, sendJson } from '../../../net/http/http-json';
import type { TerminalServices } from '../terminals/terminal-services';
import { ValidationError } from '../../../contracts/wire-schema';
import { consoleApplications, consoleDevices, consoleJob, consoleJobs, consoleLedgers, consoleTerminals, jobsChangedSince } from './console-views';
import { operatorCredentialStamp, verifyOperatorCredential } from './operator-credential';
import { OperatorSessions, csrfOk, type OperatorSession } from './operator-sessions';
import { WebAssets } from '../../../net/http/web-assets';
import { sameOrigin } from '../../../net/http/same-origin';

export const CONSOLE_API_PREFIX = '/v1/console/';
/** How often the event stream looks for changed jobs. */
const EVENTS_POLL_MS = 200;
/** A comment line this often keeps idle event streams open through proxies. */
const EVENTS_KEEPALIVE_MS = 15_000;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function operatorConsole(p: Platform, services: TerminalServices): HttpRoutes {
  const sessions = new OperatorSessions();
  const assets = new WebAssets(['console', 'board']);
  return {
    handles: (pathname) => pathname === '/' || pathname === '/console' || pathname === '/console/' || pathname === '/board' || pathname === '/board/' || pathname.startsWith('/assets/') || pathname.startsWith(CONSOLE_API_PREFIX),
    handle(req, res, url) {
      serve(p, services, sessions, assets, req, res, url).catch((err: Error) => {
        if (res.headersSent) return res.destroy();
        if (err instanceof Refusal) return sendJson(res, err.status, { error: err.message });
        if (err instanceof ValidationError) return sendJson(res, 400, { error: err.message });
        if (err instanceof JobRequestError) return sendJson(res, err.code === 'DEVICE_INACTIVE' ? 404 : 409, { error: err.message });
        if (err instanceof IssuerError) return sendJson(res, err.code === 'UNKNOWN_APPLICATION' ? 404 : 409, { error: err.message });
        if (err instanceof DatabaseUnavailableError) return sendJson(res, 503, { error: 'the platform database is unavailable: try again shortly' });
        sendJson(res, 500, { error: 'internal error' });
      });
    },
  };
}

async function serve(p: Platform, services: TerminalServices, sessions: OperatorSessions, assets: WebAssets, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  if (path === '/' || path === '/console' || path === '/board') {
    res.writeHead(302, { location: path === '/board' ? '/board/' : '/console/' });
    return void res.end();
  }
  if (path === '/console/') return assets.sendPage(res, 'console');
  if (path === '/board/') return assets.sendPage(res, 'board');
  if (path.startsWith('/assets/')) {
    if (!(await assets.sendAsset(res, path))) sendJson(res, 404, { error: `no asset ${path}` });
    return;
  }
  const route = path.slice(CONSOLE_API_PREFIX.length);
  if (req.method === 'POST' && route === 'login') return login(p, sessions, req, res);

  const session = sessions.of(req, operatorCredentialStamp(p.db));
  if (session === null) throw new Refusal(401, 'operator login required');
  if (req.method === 'POST' && !csrfOk(req, session)) throw new Refusal(403, 'cross-site request refused (CSRF token or origin)');

  if (req.method === 'GET') {
    switch (route) {
      case 'session':
        return sendJson(res, 200, { csrf: session.csrf });
      case 'devices':
        return sendJson(res, 200, { devices: consoleDevices(p.db) });
      case 'jobs':
        return sendJson(res, 200, { jobs: consoleJobs(p.db) });
      case 'terminals':
        return sendJson(res, 200, { terminals: consoleTerminals(p.db) });
      case 'applications':
        return sendJson(res, 200, { applications: consoleApplications(p.db) });
      case 'ledgers':
        return sendJson(res, 200, await consoleLedgers(p.db, services));
      case 'events':
        return streamJobEvents(p, res);
    }
    throw new Refusal(404, `no resource ${path}`);
  }
  if (req.method !== 'POST') throw new Refusal(405, `method ${req.method} not allowed`);
  if (route === 'logout') {
    sessions.close(session.id);
    return sendJson(res, 200, {}, { 'set-cookie': OperatorSessions.clearingCookie() });
  }
  const body = (await readJson(req)) as Record<string, unknown>;
  if (route === 'terminals') return addTerminal(p, res, body);
  const m = /^devices\/([A-Za-z0-9_-]{1,23})\/(download|delete|status)$/.exec(route);
  if (m === null) throw new Refusal(404, `no resource ${path}`);
  const [, deviceId, action] = m;
  const actor = `console:${session.id.slice(0, 8)}`;
  if (action === 'status') return sendJson(res, 202, consoleJob({ ...queueStatus(p, deviceId, actor), context: '' }));
  const app = body.app;
  if (typeof app !== 'string' || !/^[a-z0-9-]{1,32}$/.test(app)) throw new ValidationError('app: expected an application id');
  const job = action === 'download' ? queueDownload(p, deviceId, app, actor) : queueDelete(p, deviceId, { applicationId: app }, actor);
  sendJson(res, 202, consoleJob({ ...job, context: '' }));
}

async function login(p: Platform, sessions: OperatorSessions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!sameOrigin(req) || !csrfOk(req, null)) throw new Refusal(403, 'cross-site login refused');
  const body = (await readJson(req)) as { credential?: unknown };
  const ok = typeof body.credential === 'string' && (await verifyOperatorCredential(p.db, body.credential));
  if (!ok) {
    audit(p.db, 'console', 'operator.login.refused', null, {});
    throw new Refusal(401, 'wrong operator credential');
  }
  const s: OperatorSession = sessions.open(operatorCredentialStamp(p.db) ?? '');
  audit(p.db, 'console', 'operator.login', null, { session: s.id.slice(0, 8) });
  sendJson(res, 200, { csrf: s.csrf }, { 'set-cookie': sessions.cookieFor(s) });
}

function addTerminal(p: Platform, res: ServerResponse, body: Record<string, unknown>): void {
  if (typeof body.id !== 'string' || typeof body.role !== 'string') throw new ValidationError('id and role: expected strings');
  let key: string;
  try {
    key = registerTerminal(p.db, body.id, body.role as TerminalRole);
  } catch (err) {
    throw new ValidationError((err as Error).message);
  }
  audit(p.db, 'console', 'terminal.registered', body.id, { role: body.role });
  sendJson(res, 201, { id: body.id, role: body.role, key });
}

/** Server-sent events (HTML Living Standard §9.2): one `job` event per job change, as jobView. */
function streamJobEvents(p: Platform, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  const seen = new Map<string, string>();
  let since = nowIso();
  const poll = setInterval(() => {
    let changed;
    try {
      changed = jobsChangedSince(p.db, since);
    } catch (err) {
      if (err instanceof DatabaseUnavailableError) return; // the next poll tries again
      throw err;
    }
    for (const j of changed) {
      const mark = `${j.updated_at}|${j.state}|${j.acked_block}`;
      if (seen.get(j.id) === mark) continue;
      seen.set(j.id, mark);
      res.write(`event: job\ndata: ${JSON.stringify(consoleJob(j))}\n\n`);
      if (j.updated_at > since) since = j.updated_at;
    }
  }, EVENTS_POLL_MS);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), EVENTS_KEEPALIVE_MS);
  res.on('close', () => {
    clearInterval(poll);
    clearInterval(keepAlive);
  });
}
