/**
 * `tapcard pos tap` online: every flow through --platform with a terminal's
 * credentials over --reader direct:PORT, human output (card, balance before and after, TAC) and
 * --json, and the exit codes: declined (5), unknown card (4), credentials refused (5), a
 * third-party recharge retried with its --order-key charged and loaded once.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../contracts/exit-codes';
import { SeCardDevice } from '../../host/se/virtual-se';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { getAccount, openAccount } from '../../parties/accounts';
import { issuePayerCode } from '../../parties/payer-authorisation';
import type { PlatformEndpoint } from '../../pos-sim/src/online/platform-client';
import { runPos } from '../pos/_cli';
import { transitSe } from '../pos/_transit-se';
import { onlineWorld, type OnlineWorld } from './_world';

let w: OnlineWorld;
let dir: string;
let client: VpcdCardClient | null = null;
const endpoints: Record<string, PlatformEndpoint> = {};

beforeAll(async () => {
  w = await onlineWorld();
  endpoints.first = w.terminal('first-cli', 'transit');
  endpoints.second = w.terminal('second-cli', 'transit-payment');
  endpoints.third = w.terminal('third-cli', 'bank');
  endpoints.fourth = w.terminal('fourth-cli', 'merchant');
  w.parties.payments.openAccount('carol', 'Carol', 10_000);
  openAccount(w.parties.db, 'bank', 'carol-bank', 'Carol', 10_000);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-pos-online-'));
}, 60_000);
afterAll(async () => {
  await client?.stop();
  await w?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Puts `card` (default the device's SE) at a fresh reader port; returns the tap arguments for a terminal. */
async function at(terminal: string, card = new SeCardDevice(w.se)): Promise<string[]> {
  await client?.stop();
  const port = await freePort();
  client = new VpcdCardClient({ host: '127.0.0.1', port, card, reconnectMs: 20 });
  client.start();
  const e = endpoints[terminal];
  return ['--reader', `direct:${port}`, '--journal', path.join(dir, 'journal.json'), '--platform', e.url, '--terminal-id', e.terminalId, '--terminal-key', e.terminalKey];
}

describe('tapcard pos tap online', () => {
  it('transit recharge 50.00 and debit 2.00 through the platform: card, balances and TAC', async () => {
    const load = await runPos(['tap', '--flow', 'transit-recharge', '--amount', '50.00', ...(await at('first'))]);
    expect(load.code, load.stderr).toBe(EXIT.OK);
    expect(load.stdout).toContain(`card     ${w.cards.transit}`);
    expect(load.stdout).toContain('balance  0.00 -> 50.00');
    expect(load.stdout).toMatch(/TAC {6}[0-9A-F]{8}/);
    const debit = await runPos(['tap', '--flow', 'transit-debit', '--amount', '2.00', '--json', ...(await at('first'))]);
    expect(debit.code, debit.stderr).toBe(EXIT.OK);
    const r = JSON.parse(debit.stdout);
    expect(r).toMatchObject({ cardNumber: w.cards.transit, balanceBefore: 5000, balanceAfter: 4800 });
    expect(w.services.transit.ledger(w.cards.transit).find((x) => x.kind === 'purchase')?.tac?.toUpperCase()).toBe(r.tac);
  });

  it('third-party recharge: paid first, loaded once; the same --order-key again charges and loads nothing', async () => {
    const code = issuePayerCode(w.parties.db, 'payment', 'carol', 1000).code;
    const args = ['tap', '--flow', 'transit-recharge', '--amount', '10', '--pay', 'third-party', '--account', 'carol', '--payer-code', code, '--order-key', 'cli-order-1'];
    const first = await runPos([...args, ...(await at('second'))]);
    expect(first.code, first.stderr).toBe(EXIT.OK);
    expect(first.stdout).toContain('order    cli-order-1 paid 10.00 from account carol');
    expect(first.stdout).toContain('balance  48.00 -> 58.00');
    const again = await runPos([...args, '--json', ...(await at('second'))]);
    expect(again.code, again.stderr).toBe(EXIT.OK);
    expect(JSON.parse(again.stdout)).toMatchObject({ transaction: null, order: { state: 'loaded', balanceAfter: 5800 } });
    expect(getAccount(w.parties.db, 'payment', 'carol').balance).toBe(9000);
  });

  it('bank deposit and debit; merchant earn and redeem', async () => {
    const code = issuePayerCode(w.parties.db, 'bank', 'carol-bank', 2000).code;
    const dep = await runPos(['tap', '--flow', 'bank-deposit', '--amount', '20', '--account', 'carol-bank', '--payer-code', code, ...(await at('third'))]);
    expect(dep.code, dep.stderr).toBe(EXIT.OK);
    expect(dep.stdout).toContain(`card     ${w.cards.ecash}`);
    expect(dep.stdout).toContain('balance  0.00 -> 20.00');
    const deb = await runPos(['tap', '--flow', 'bank-debit', '--amount', '5.50', ...(await at('third'))]);
    expect(deb.stdout).toContain('balance  20.00 -> 14.50');
    const earn = await runPos(['tap', '--flow', 'merchant-earn', '--amount', '36.80', ...(await at('fourth'))]);
    expect(earn.code, earn.stderr).toBe(EXIT.OK);
    expect(earn.stdout).toContain(`card     ${w.cards.loyalty}`);
    expect(earn.stdout).toContain('points   0 -> 36');
    const redeem = await runPos(['tap', '--flow', 'merchant-redeem', '--amount', '6', '--json', ...(await at('fourth'))]);
    expect(JSON.parse(redeem.stdout)).toMatchObject({ operation: 'redeem', pointsBefore: 36, pointsAfter: 30 });
  });

  it('exit codes: declined 5 (balance, credentials), unknown card 4, usage 2', async () => {
    const over = await runPos(['tap', '--flow', 'transit-debit', '--amount', '9999', '--json', ...(await at('first'))]);
    expect(over.code).toBe(EXIT.DECLINED);
    expect(JSON.parse(over.stdout)).toMatchObject({ error: 'DECLINED', sw: '9401' });
    const wrongKey = (await at('first')).map((a) => (a === endpoints.first.terminalKey ? 'wrong-key' : a));
    const refused = await runPos(['tap', '--flow', 'transit-debit', '--amount', '1', ...wrongKey]);
    expect(refused.code).toBe(EXIT.DECLINED);
    expect(refused.stderr).toMatch(/unknown terminal or wrong key/);
    const stranger = await runPos(['tap', '--flow', 'transit-recharge', '--amount', '1', ...(await at('first', new SeCardDevice(await transitSe())))]);
    expect(stranger.code).toBe(EXIT.NOT_FOUND);
    expect((await runPos(['tap', '--flow', 'bank-deposit', '--amount', '1', ...(await at('third'))])).code).toBe(EXIT.USAGE);
    expect(w.services.transit.ledger(w.cards.transit)).toHaveLength(3);
  });
});
