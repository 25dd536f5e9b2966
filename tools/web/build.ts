/**
 * `npm run build:web`: the web pages as the platform serves them (net/http/web-assets.ts),
 * written to dist/web with their sizes, raw and gzipped, so a page that grows is seen.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { WEB_PAGES, WEB_ROOT, buildWebAssets } from '../../net/http/web-assets';

const OUT = path.resolve('dist/web');
const built = await buildWebAssets();
mkdirSync(path.join(OUT, 'assets'), { recursive: true });
for (const page of WEB_PAGES) {
  mkdirSync(path.join(OUT, page), { recursive: true });
  copyFileSync(path.join(WEB_ROOT, page, 'index.html'), path.join(OUT, page, 'index.html'));
}
for (const [name, bytes] of built.files) {
  writeFileSync(path.join(OUT, name), bytes);
  console.log(`${name.padEnd(22)} ${String(bytes.length).padStart(7)} bytes, ${String(gzipSync(bytes).length).padStart(6)} gzipped`);
}
