/**
 * The operator console in a real browser (chromium through playwright-core) against a real
 * platform and SE: login with the operator credential, the SE's cards, a delete and a download
 * started from the page with their progress arriving live, the ledgers' money check (cards, orders,
 * accounts; a tampered account shows as a mismatch); a wrong credential sees no data and a request
 * without the CSRF token changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDebian } from '../helpers/skip';
import { launchBrowser, screenshotPath, type TestBrowser } from '../helpers/browser';
import { openAccount } from '../../parties/accounts';
import { webWorld, type WebWorld } from './_web-world';

/** Page updates arrive within this (generous: the machine is shared). */
const WAIT = { timeout: 20_000 };

describe.skipIf(requireDebian('web operator console (playwright-core)', ['chromium']))('operator console', () => {
  let w: WebWorld;
  let browser: TestBrowser;
  beforeAll(async () => {
    w = await webWorld();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('lists the SE cards and runs a delete and a download from the page, with live progress; the money check', async () => {
    openAccount(w.online.parties.db, 'payment', 'acct-web', 'card holder', 10_000);
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await page.goto(`${w.http.url}/console/`);
    await page.fill('#credential', w.operatorCredential);
    await page.click('#login-form button');
    const device = page.locator('[data-device="term-1"]');
    await expect.poll(() => device.locator('tbody tr').count(), WAIT).toBe(3);
    const cardsText = await device.textContent();
    for (const n of Object.values(w.online.cards)) expect(cardsText).toContain(n);

    // Read the SE's registry so the cards show class, AID, life cycle and balance as the SE reports them.
    await device.getByRole('button', { name: 'Read SE status' }).click();
    await expect.poll(() => device.textContent(), WAIT).toContain('SE registry read');
    const transitRow = device.locator('tbody tr', { hasText: w.online.cards.transit });
    expect(await transitRow.textContent()).toMatch(/transit.*selectable/);

    // Watch the jobs table: every progress text it ever shows.
    await page.evaluate(`(() => {
      const seen = (window.seen = []);
      new MutationObserver(() => {
        for (const tr of document.querySelectorAll('#job-list tbody tr')) seen.push(tr.textContent);
      }).observe(document.getElementById('job-list'), { childList: true, subtree: true });
    })()`);
    await transitRow.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => device.locator('tbody tr').count(), { timeout: 30_000 }).toBe(2);

    await device.locator('select').selectOption('transit');
    await device.getByRole('button', { name: 'Download' }).click();
    await expect.poll(() => device.locator('tbody tr').count(), { timeout: 60_000 }).toBe(3);
    const seen = (await page.evaluate('window.seen')) as string[];
    const downloadRows = seen.filter((t) => /download.*term-1.*transit/.test(t));
    const loading = downloadRows.map((t) => /loading\s*(\d+)\/(\d+)/.exec(t)).filter((m) => m !== null);
    // Progress arrived while the commands were going, not only at the end.
    expect(loading.filter((m) => Number(m[1]) < Number(m[2])).length).toBeGreaterThanOrEqual(1);
    expect(downloadRows.some((t) => /done\s*(\d+)\/\1/.test(t))).toBe(true);
    expect(seen.some((t) => /delete.*term-1.*transit.*done/.test(t))).toBe(true);

    const job = w.online.flow.platform.db.prepare("SELECT state FROM jobs WHERE kind = 'download' ORDER BY created_at DESC LIMIT 1").get() as { state: string };
    expect(job.state).toBe('done');
    await expect.poll(() => page.locator('#money-check').textContent(), WAIT).toContain('Money check: OK');
    const moneyText = await page.locator('#money').textContent();
    expect(moneyText).toContain('1 account(s)');
    expect(moneyText).toMatch(/payment acct-web\s*100\.00\s*100\.00\s*reconciled/);
    const shot = screenshotPath('console');
    if (shot !== undefined) await page.screenshot({ path: shot, fullPage: true });
    const mobile = screenshotPath('console-360');
    if (mobile !== undefined) {
      await page.setViewportSize({ width: 360, height: 740 });
      await page.screenshot({ path: mobile, fullPage: false });
    }

    // Money leaves an account with no order to show for it: the money check names it.
    w.online.parties.db.prepare("UPDATE accounts SET balance = 9000 WHERE id = 'acct-web'").run();
    await page.reload();
    await expect.poll(() => page.locator('#money-check').textContent(), WAIT).toContain('Money check: 1 mismatch(es)');
    expect(await page.locator('#money').textContent()).toContain('payment account acct-web: holds 9000, opened with 10000 less 0 paid out: 10000');
    await ctx.close();
  }, 120_000);

  it('shows a wrong operator credential no data, and refuses a state change without the CSRF token', async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await page.goto(`${w.http.url}/console/`);
    await page.fill('#credential', 'not-the-operator-credential');
    await page.click('#login-form button');
    await expect.poll(() => page.locator('#login-error').textContent(), WAIT).toContain('wrong operator credential');
    expect(await page.locator('#app').isHidden()).toBe(true);
    const body = await page.content();
    expect(body).not.toContain('term-1');
    expect(body).not.toContain(w.online.cards.transit);
    const direct = await page.evaluate(async () => {
      const r = await fetch('/v1/console/devices');
      return { status: r.status, text: await r.text() };
    });
    expect(direct.status).toBe(401);
    expect(direct.text).not.toContain('term-1');

    // A logged-in operator's page that leaves out the CSRF token changes nothing.
    await page.fill('#credential', w.operatorCredential);
    await page.click('#login-form button');
    await expect.poll(() => page.locator('[data-device="term-1"]').count(), WAIT).toBe(1);
    const jobsBefore = (w.online.flow.platform.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
    const forged = await page.evaluate(async () => {
      const r = await fetch('/v1/console/devices/term-1/download', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"app":"transit"}' });
      return r.status;
    });
    expect(forged).toBe(403);
    expect((w.online.flow.platform.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n).toBe(jobsBefore);
    await ctx.close();
  }, 60_000);
});
