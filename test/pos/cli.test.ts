/**
 * `tapcard pos` over --reader direct:PORT with the SE connecting as the card: human and JSON output,
 * and exit codes that mean something (declined, no card, usage).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../contracts/exit-codes';
import { SeCardDevice } from '../../host/se/virtual-se';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { runPos } from './_cli';
import { CARD_NUMBER, transitSe } from './_transit-se';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A transit card that keeps tapping onto 127.0.0.1:port, and a journal file for the runs. */
async function setup(): Promise<{ reader: string; journal: string }> {
  const port = await freePort();
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card: new SeCardDevice(await transitSe()), reconnectMs: 20 });
  client.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-pos-'));
  cleanups.push(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { reader: `direct:${port}`, journal: path.join(dir, 'journal.json') };
}

describe('tapcard pos (direct reader)', () => {
  it('recharge 50.00 then debit 2.00: human output, then read --json shows 48.00 and both log records', async () => {
    const { reader, journal } = await setup();
    const common = ['--reader', reader, '--journal', journal, '--dev-keys'];
    const load = await runPos(['tap', '--flow', 'transit-recharge', '--amount', '50', ...common]);
    expect(load.code, load.stderr).toBe(EXIT.OK);
    expect(load.stdout).toContain(`card     ${CARD_NUMBER}`);
    expect(load.stdout).toContain('balance  0.00 -> 50.00');
    expect(load.stdout).toMatch(/TAC {6}[0-9A-F]{8}/);

    const debit = await runPos(['tap', '--flow', 'transit-debit', '--amount', '2.00', '--json', ...common]);
    expect(debit.code, debit.stderr).toBe(EXIT.OK);
    expect(JSON.parse(debit.stdout)).toMatchObject({ kind: 'purchase', cardNumber: CARD_NUMBER, amount: 200, balanceBefore: 5000, balanceAfter: 4800, terminalSerial: '00000001' });

    const read = await runPos(['read', '--reader', reader, '--journal', journal, '--json']);
    expect(read.code, read.stderr).toBe(EXIT.OK);
    const r = JSON.parse(read.stdout);
    expect(r).toMatchObject({ cardNumber: CARD_NUMBER, balance: 4800, validFrom: '2024-01-01', validTo: '2029-12-31', recovered: null });
    expect(r.log.map((l: { kind: string; amount: number }) => [l.kind, l.amount])).toEqual([['purchase', 200], ['load', 5000]]);
    // The terminal serial survives between runs in the journal file.
    expect(JSON.parse(fs.readFileSync(journal, 'utf8'))).toEqual({ lastTerminalSerial: 1, pending: [] });
  });

  it('insufficient balance is exit 5 (declined) with SW 9401 and no change', async () => {
    const { reader, journal } = await setup();
    const r = await runPos(['tap', '--flow', 'transit-debit', '--amount', '0.01', '--reader', reader, '--journal', journal, '--dev-keys', '--json']);
    expect(r.code).toBe(EXIT.DECLINED);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'DECLINED', sw: '9401' });
    const read = await runPos(['read', '--reader', reader, '--journal', journal]);
    expect(read.stdout).toContain('balance  0.00');
    expect(read.stdout).toContain('log      (empty)');
  });

  it('no card within --wait is exit 4', async () => {
    const port = await freePort();
    const r = await runPos(['read', '--reader', `direct:${port}`, '--wait', '0.3', '--journal', path.join(os.tmpdir(), `pos-none-${port}.json`)]);
    expect(r.code).toBe(EXIT.NOT_FOUND);
    expect(r.stderr).toMatch(/no card/);
  });

  it('tap without --dev-keys, a platform flow, or a bad amount is a usage error that says why', async () => {
    const noKeys = await runPos(['tap', '--flow', 'transit-debit', '--amount', '2', '--reader', 'direct:1']);
    expect(noKeys.code).toBe(EXIT.USAGE);
    expect(noKeys.stderr).toMatch(/--dev-keys.*terminal flows/s);
    const bank = await runPos(['tap', '--flow', 'bank-deposit', '--amount', '2', '--dev-keys']);
    expect(bank.stderr).toMatch(/needs the platform/);
    const amount = await runPos(['tap', '--flow', 'transit-debit', '--amount', '2.001', '--dev-keys']);
    expect(amount.code).toBe(EXIT.USAGE);
    const help = await runPos(['--help']);
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toMatch(/OFFLINE/);
  });
});
