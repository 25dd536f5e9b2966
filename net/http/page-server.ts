/**
 * A small HTTP server for one web page and its JSON API, for the processes that are not the
 * platform (the POS till: `tapcard pos web`; the wallet: `tapcard terminal --wallet-port`). It
 * serves the page at /, its assets under /assets/ (web-assets.ts) and hands /v1/... to `api`.
 * These pages have no login: they listen on loopback, as the till's or the phone's own screen. A
 * POST must come from the page itself: same Origin, and a custom header that a cross-site form
 * cannot send and a cross-site script may not send without a CORS preflight this server never allows.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from './http-json';
import { sameOrigin } from './same-origin';
import { WebAssets, type WebPage } from './web-assets';

export const PAGE_HEADER = 'x-tapcard-page';

export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Answers one API request; false when the path is not the API's. Thrown errors answer 500 unless they carry `status`. */
export type PageApi = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export async function startPageServer(page: WebPage, api: PageApi, port: number, host = '127.0.0.1'): Promise<PageServer> {
  const assets = new WebAssets([page]);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    void (async () => {
      if (url.pathname === '/' || url.pathname === `/${page}/`) return assets.sendPage(res, page);
      if (url.pathname.startsWith('/assets/')) {
        if (!(await assets.sendAsset(res, url.pathname))) sendJson(res, 404, { error: `no asset ${url.pathname}` });
        return;
      }
      if (req.method === 'POST' && (!sameOrigin(req) || req.headers[PAGE_HEADER] !== '1')) return sendJson(res, 403, { error: 'cross-site request refused' });
      if (!(await api(req, res, url))) sendJson(res, 404, { error: `no resource ${url.pathname}` });
    })().catch((err: Error & { status?: number }) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, err.status ?? 500, { error: err.status === undefined ? 'internal error' : err.message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
