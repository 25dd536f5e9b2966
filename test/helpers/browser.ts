/**
 * A real browser for the web suites: playwright-core driving Debian's chromium (/usr/bin/chromium,
 * `apt-get install chromium`; .ci/run installs it), headless, in a fresh profile directory, with
 * nothing that reaches outside the machine (no background networking, updates, sync or QUIC).
 *
 *   describe.skipIf(requireDebian('web console', ['chromium']))(...)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  /** A new context: its own cookies (a second operator, a stranger). */
  context(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    async context(viewport = { width: 1280, height: 900 }) {
      const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-chromium-'));
      profiles.push(dir);
      // launchPersistentContext passes the fresh profile as --user-data-dir.
      const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
      contexts.push(ctx);
      return ctx;
    },
    async close() {
      for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
      for (const d of profiles.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Where a suite writes its page screenshots: docs/web when TAPCARD_WEB_SCREENSHOTS=1 (npm run screenshots), else nowhere. */
export function screenshotPath(name: string): string | undefined {
  if (process.env.TAPCARD_WEB_SCREENSHOTS !== '1') return undefined;
  return path.resolve('docs/web', `${name}.png`);
}
