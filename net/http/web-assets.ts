/**
 * The web pages (web/, README "What is here"): each page is one HTML file, one script bundled by
 * esbuild from web/<page>/main.ts and the shared style sheet. They are built once per process, in
 * memory, on the first request, and served from this process with no CDN; `npm run build:web`
 * writes the same files to dist/web to see their sizes.
 *
 * Every answer carries a Content-Security-Policy that allows only this origin's scripts, styles and
 * connections, and no framing. The board page alone also allows inline styles: @espruino-tools'
 * connection menu styles itself with style attributes and a generated style sheet (jss). Scripts
 * stay this origin's only there too.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
export const WEB_PAGES = ['console', 'pos', 'wallet', 'board'] as const;
export type WebPage = (typeof WEB_PAGES)[number];

const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const PAGE_CSP: Partial<Record<WebPage, string>> = { board: `${CSP}; style-src 'self' 'unsafe-inline'` };

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface BuiltAssets {
  /** '/assets/console.js' -> bytes, '/assets/style.css' -> bytes */
  files: Map<string, Uint8Array>;
}

/** Bundles every page's script and the style sheet (esbuild, minified, no source maps). */
export async function buildWebAssets(pages: readonly string[] = WEB_PAGES): Promise<BuiltAssets> {
  const { build } = await import('esbuild');
  const entryPoints: Record<string, string> = { style: path.join(WEB_ROOT, 'common/style.css') };
  for (const p of pages) entryPoints[p] = path.join(WEB_ROOT, p, 'main.ts');
  const out = await build({
    entryPoints,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'chrome109',
    outdir: '/assets',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files = new Map<string, Uint8Array>();
  for (const f of out.outputFiles) files.set(f.path, f.contents);
  return { files };
}

/** Serves one page's HTML, or the assets the pages load. */
export class WebAssets {
  private built: Promise<BuiltAssets> | null = null;

  constructor(private readonly pages: readonly WebPage[]) {}

  async sendPage(res: ServerResponse, page: WebPage): Promise<void> {
    const html = await readFile(path.join(WEB_ROOT, page, 'index.html'));
    send(res, 200, 'text/html; charset=utf-8', html, PAGE_CSP[page]);
  }

  /** Answers /assets/<name>; false when there is no such asset. */
  async sendAsset(res: ServerResponse, pathname: string): Promise<boolean> {
    this.built ??= buildWebAssets(this.pages);
    const file = (await this.built).files.get(pathname);
    if (file === undefined) return false;
    send(res, 200, pathname.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', file);
    return true;
  }
}

function send(res: ServerResponse, status: number, type: string, body: Uint8Array, csp = CSP): void {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length, ...SECURITY_HEADERS, 'content-security-policy': csp });
  res.end(body);
}

export { SECURITY_HEADERS };
