/**
 * The POS page and the wallet page in a real browser against a real platform and SE: the wallet
 * shows the phone's cards from the card itself; a tap from the POS page declines a debit over the
 * balance with its reason, recharges the transit card online and then debits it; the wallet then
 * shows the new balance and both transactions from the card's log; the wallet's "Get card" runs
 * the download flow through the platform with progress.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageServer } from '../../net/http/page-server';
import { startWalletWeb } from '../../host/terminal/wallet-web';
import { MemoryJournal } from '../../pos-sim/src/purse/journal';
import { Till } from '../../pos-sim/src/web/till';
import { startPosWeb } from '../../cli/pos-web-server';
import { launchBrowser, screenshotPath, type TestBrowser } from '../helpers/browser';
import { requireDebian } from '../helpers/skip';
import { webWorld, type WebWorld } from './_web-world';

const WAIT = { timeout: 20_000 };

describe.skipIf(requireDebian('web POS and wallet pages (playwright-core)', ['chromium']))('POS and wallet pages', () => {
  let w: WebWorld;
  let browser: TestBrowser;
  let pos: PageServer;
  let wallet: PageServer;
  beforeAll(async () => {
    w = await webWorld();
    const till = new Till({ reader: w.online.reader, platform: w.online.terminal('till-1', 'transit'), journal: new MemoryJournal(), waitMs: 20_000 });
    pos = await startPosWeb(till, w.online.reader.name, 0);
    wallet = await startWalletWeb(w.online.device, 0);
    for (const s of [pos, wallet]) await fetch(`${s.url}/assets/style.css`); // each builds its page once, before the tests wait on it
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await pos?.close();
    await wallet?.close();
    await w?.close();
  });

  it('a tap from the POS page changes the balance the wallet page shows', async () => {
    const phone = await (await browser.context({ width: 360, height: 740 })).newPage();
    await phone.goto(`${wallet.url}/`);
    const transit = phone.locator('[data-card="transit"]');
    await expect.poll(() => transit.locator('.balance').textContent(), WAIT).toBe('¥ 0.00');

    const till = await (await browser.context({ width: 1024, height: 700 })).newPage();
    await till.goto(`${pos.url}/`);
    await expect.poll(() => till.locator('#flow option').count(), WAIT).toBeGreaterThan(2);
    w.online.tap(); // the phone in the reader's field

    await till.selectOption('#flow', 'transit-debit');
    await till.fill('#amount', '1.00');
    await till.click('#tap');
    await expect.poll(() => till.locator('#result').textContent(), WAIT).toMatch(/Declined.*insufficient|Declined.*balance/i);

    await till.selectOption('#flow', 'transit-recharge');
    await till.fill('#amount', '50');
    await till.click('#tap');
    await expect.poll(() => till.locator('#after').textContent(), WAIT).toBe('50.00');
    expect(await till.locator('#before').textContent()).toBe('0.00');
    expect(await till.locator('#result').textContent()).toMatch(/TAC [0-9A-Fa-f]{8}/);

    await till.selectOption('#flow', 'transit-debit');
    await till.fill('#amount', '2.5');
    await till.click('#tap');
    await expect.poll(() => till.locator('#after').textContent(), WAIT).toBe('47.50');
    // The page fetches the session's taps after it shows the result, so the table catches up a moment later.
    await expect.poll(() => till.locator('#taps tbody tr').count(), WAIT).toBe(3);

    await phone.click('#refresh');
    await expect.poll(() => transit.locator('.balance').textContent(), WAIT).toBe('¥ 47.50');
    const log = await transit.locator('tbody').textContent();
    expect(log).toContain('-2.50');
    expect(log).toContain('+50.00');
    const tillShot = screenshotPath('pos');
    if (tillShot !== undefined) await till.screenshot({ path: tillShot, fullPage: true });
    const phoneShot = screenshotPath('wallet');
    if (phoneShot !== undefined) await phone.screenshot({ path: phoneShot, fullPage: true });
  }, 120_000);

  it("the wallet's Get card downloads a card through the platform, with progress", async () => {
    const phone = await (await browser.context({ width: 360, height: 740 })).newPage();
    await phone.goto(`${wallet.url}/`);
    await expect.poll(() => phone.locator('[data-card]').count(), WAIT).toBe(3);
    await phone.evaluate(`(() => {
      const seen = (window.seen = []);
      new MutationObserver(() => seen.push(document.getElementById('download-status').textContent))
        .observe(document.getElementById('download-status'), { childList: true, subtree: true });
    })()`);
    const before = w.online.device.relay.relayed;
    await phone.selectOption('#app', 'transit');
    await phone.click('#download-form button');
    await expect.poll(() => phone.locator('#download-done').count(), { timeout: 60_000 }).toBe(1);
    const seen = (await phone.evaluate('window.seen')) as string[];
    expect(seen.some((t) => /installing\s*\d+\/\d+/.test(t))).toBe(true);
    expect(w.online.device.relay.relayed).toBeGreaterThan(before);
    const job = w.online.flow.platform.db.prepare("SELECT state FROM jobs WHERE kind = 'download' ORDER BY created_at DESC LIMIT 1").get() as { state: string };
    expect(job.state).toBe('done');
  }, 120_000);
});
