/**
 * Money under kill -9: the POS or the platform, each a real process, killed with SIGKILL at each
 * point of each of the four terminal flows (after the payment, after the authorisation, after the
 * card's answer, after the platform's confirm). Then the same order key or the next tap of the card
 * settles the transaction exactly once: the card, the payment and bank accounts move by exactly
 * the transaction's amount, and money reconciliation (cards, ledgers, orders, accounts) finds no
 * mismatch and nothing open.
 *
 * One platform process serves the whole file; a platform kill case arms it through its kill file
 * and starts a fresh one on the same data directory after it died. The card (the device's SE)
 * lives in this process and taps each POS over the vpcd protocol.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../contracts/exit-codes';
import { run as platformCli } from '../../cli/platform';
import { checkSw } from '../../contracts/check-sw';
import { SeCardDevice } from '../../host/se/virtual-se';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { getAccount, openAccount } from '../../parties/accounts';
import { issuePayerCode } from '../../parties/payer-authorisation';
import { reconcileMoney } from '../../platform-server/src/terminals/money-reconciliation';
import { BankPos, ECASH_AID_PREFIX } from '../../pos-sim/src/bank/bank-pos';
import { buildGetPoints, LOYALTY_AID_PREFIX, parsePoints } from '../../pos-sim/src/loyalty/loyalty-apdus';
import { LoyaltyPos } from '../../pos-sim/src/loyalty/loyalty-pos';
import { PlatformClient, type PlatformEndpoint } from '../../pos-sim/src/online/platform-client';
import { FileJournal } from '../../pos-sim/src/purse/file-journal';
import { buildSelect, P2_EP } from '../../pos-sim/src/purse/purse-apdus';
import { TransitCard } from '../../pos-sim/src/purse/transit-card';
import { DirectReader } from '../../pos-sim/src/reader/direct-reader';
import { runPos } from '../pos/_cli';
import { onlineWorld, type OnlineWorld } from '../online/_world';
import { posProcess, startPlatformProcess, type PlatformProcess } from './_processes';

type Flow = 'transit-debit' | 'third-party-recharge' | 'bank-deposit' | 'merchant-earn';
type Point = 'after-payment' | 'after-authorise' | 'after-card-answer' | 'after-confirm';
type Side = 'pos' | 'platform';

/** What a tap may move: fen on the two purses and the two accounts, points on the loyalty card. */
interface Holdings {
  transit: number;
  ecash: number;
  points: number;
  payment: number;
  bank: number;
}

interface FlowSpec {
  terminal: 'first' | 'second' | 'third' | 'fourth';
  /** The kill points the flow passes: only the second terminal's recharge has a payment of its own (a bank deposit's account debit is its authorisation). */
  points: readonly Point[];
  moves: Partial<Holdings>;
  /** `tapcard pos tap` arguments; `retry` leaves out what a retry does not need again. */
  args(c: { orderKey: string; code: string; retry: boolean }): string[];
}

const CARD_POINTS: readonly Point[] = ['after-authorise', 'after-card-answer', 'after-confirm'];
const FLOWS: Record<Flow, FlowSpec> = {
  'transit-debit': {
    terminal: 'first', points: CARD_POINTS, moves: { transit: -100 },
    args: () => ['--flow', 'transit-debit', '--amount', '1.00'],
  },
  'third-party-recharge': {
    terminal: 'second', points: ['after-payment', ...CARD_POINTS], moves: { transit: 500, payment: -500 },
    args: ({ orderKey, code, retry }) => ['--flow', 'transit-recharge', '--amount', '5.00', '--pay', 'third-party', '--account', 'payer', '--order-key', orderKey,
      ...(retry ? [] : ['--payer-code', code])],
  },
  'bank-deposit': {
    terminal: 'third', points: CARD_POINTS, moves: { ecash: 300, bank: -300 },
    // A retry at the same card counter may present the same payment code again (payer-authorisation.ts).
    args: ({ code }) => ['--flow', 'bank-deposit', '--amount', '3.00', '--account', 'saver', '--payer-code', code],
  },
  'merchant-earn': {
    terminal: 'fourth', points: CARD_POINTS, moves: { points: 7 },
    args: () => ['--flow', 'merchant-earn', '--amount', '7.00'],
  },
};

let w: OnlineWorld;
let platform: PlatformProcess;
let dir: string;
let killFile: string;
let journal: string;
const terminals: Record<FlowSpec['terminal'], Omit<PlatformEndpoint, 'url'>> = {} as never;

beforeAll(async () => {
  w = await onlineWorld();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-money-'));
  killFile = path.join(dir, 'kill-at');
  journal = path.join(dir, 'journal.json');
  const roles = { first: 'transit', second: 'transit-payment', third: 'bank', fourth: 'merchant' } as const;
  for (const [t, role] of Object.entries(roles)) {
    const { terminalId, terminalKey } = w.terminal(`${t}-money`, role);
    terminals[t as FlowSpec['terminal']] = { terminalId, terminalKey };
  }
  // The platform is the process below; the world's in-process HTTP API is not used.
  w.parties.payments.openAccount('payer', 'Payer', 100_000);
  openAccount(w.parties.db, 'bank', 'saver', 'Saver', 100_000);
  platform = await startPlatformProcess(w.flow.tp.dir, killFile);
  const cash = await tapWith(['tap', '--flow', 'transit-recharge', '--amount', '200.00', ...terminalArgs('first')]);
  expect(cash.code, cash.stderr).toBe(EXIT.OK);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await w?.close();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

function endpoint(t: FlowSpec['terminal']): PlatformEndpoint {
  return { ...terminals[t], url: platform.url };
}

function terminalArgs(t: FlowSpec['terminal']): string[] {
  const e = endpoint(t);
  return ['--journal', journal, '--platform', e.url, '--terminal-id', e.terminalId, '--terminal-key', e.terminalKey, '--wait', '20'];
}

/** The device's SE in the field of a reader listening on `port`. */
function cardAt(port: number): VpcdCardClient {
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card: new SeCardDevice(w.se), reconnectMs: 20 });
  client.start();
  return client;
}

async function freePort(): Promise<number> {
  const reader = await DirectReader.listen(0);
  const port = reader.boundPort;
  await reader.close();
  return port;
}

/** `tapcard pos` in this process, the card tapped on its reader. */
async function tapWith(args: string[]): ReturnType<typeof runPos> {
  const port = await freePort();
  const client = cardAt(port);
  try {
    return await runPos([...args, '--reader', `direct:${port}`]);
  } finally {
    await client.stop();
  }
}

/** What the card and the accounts hold, read straight from the SE (no POS, no recovery) and the database. */
async function holdings(): Promise<Holdings> {
  const device = new SeCardDevice(w.se);
  device.powerOn();
  const transmit = async (apdu: Uint8Array): Promise<Uint8Array> => device.transmit(apdu);
  const transit = await (await TransitCard.select(transmit)).balance(P2_EP);
  const ecash = await (await TransitCard.select(transmit, ECASH_AID_PREFIX)).balance(P2_EP);
  checkSw(device.transmit(buildSelect(LOYALTY_AID_PREFIX)), 'SELECT loyalty');
  const { points } = parsePoints(checkSw(device.transmit(buildGetPoints()), 'GET POINTS').data);
  device.powerOff();
  const db = w.parties.db;
  return { transit, ecash, points, payment: getAccount(db, 'payment', 'payer').balance, bank: getAccount(db, 'bank', 'saver').balance };
}

/** The next tap of the flow's card at its terminal: a read, which settles what the journal (or the merchant's ledger) holds open. */
async function nextTap(flow: Flow): Promise<unknown> {
  if (flow === 'transit-debit') {
    const read = await tapWith(['read', ...terminalArgs('first'), '--json']);
    expect(read.code, read.stderr).toBe(EXIT.OK);
    return JSON.parse(read.stdout).recovered;
  }
  const reader = await DirectReader.listen(0);
  const client = cardAt(reader.boundPort);
  const platformClient = new PlatformClient(endpoint(FLOWS[flow].terminal));
  const file = FileJournal.open(journal);
  try {
    if (flow === 'bank-deposit') return (await new BankPos({ reader, client: platformClient, journal: file }).read()).recovered;
    return (await new LoyaltyPos({ reader, client: platformClient }).read()).settled;
  } finally {
    await client.stop();
    await reader.close();
  }
}

/** Kills `side` at `point` during the tap `args`; resolves once the killed process is gone (and a killed platform is back). */
async function killDuring(side: Side, point: Point, args: string[]): Promise<void> {
  if (side === 'pos') {
    const port = await freePort();
    const client = cardAt(port);
    const ended = await posProcess([...args, '--reader', `direct:${port}`], `pos.${point}`);
    await client.stop();
    expect(ended.signal, ended.output).toBe('SIGKILL');
    return;
  }
  fs.writeFileSync(killFile, `platform.${point}`);
  const tap = await tapWith(args);
  expect(tap.code, tap.stderr).toBe(EXIT.UNAVAILABLE);
  const gone = await platform.exited;
  expect(gone.signal, gone.output).toBe('SIGKILL');
  fs.writeFileSync(killFile, '');
  platform = await startPlatformProcess(w.flow.tp.dir, killFile);
}

function expectMoved(before: Holdings, after: Holdings, moves: Partial<Holdings>): void {
  const want = { ...before };
  for (const [k, v] of Object.entries(moves)) want[k as keyof Holdings] += v;
  expect(after).toEqual(want);
}

const cases = (['pos', 'platform'] as const).flatMap((side) =>
  (Object.keys(FLOWS) as Flow[]).flatMap((flow) => FLOWS[flow].points.map((point) => ({ side, flow, point }))));

describe('kill -9 between the payment and the confirm settles exactly once', () => {
  it.each(cases)('$side killed $point of $flow', async ({ side, flow, point }) => {
    const spec = FLOWS[flow];
    const orderKey = `money-${side}-${point}`;
    const code = flow === 'third-party-recharge' ? issuePayerCode(w.parties.db, 'payment', 'payer', 500).code
      : flow === 'bank-deposit' ? issuePayerCode(w.parties.db, 'bank', 'saver', 300).code : '';
    const before = await holdings();

    await killDuring(side, point, ['tap', ...spec.args({ orderKey, code, retry: false }), ...terminalArgs(spec.terminal)]);

    const cardAnswered = point === 'after-card-answer' || point === 'after-confirm';
    if (flow === 'third-party-recharge' || !cardAnswered) {
      // The same order key (or, before the card saw the command, the same tap again) does it once.
      const again = await tapWith(['tap', ...spec.args({ orderKey, code, retry: true }), ...terminalArgs(spec.terminal), '--json']);
      expect(again.code, again.stderr).toBe(EXIT.OK);
      if (flow === 'third-party-recharge') expect(JSON.parse(again.stdout).order).toMatchObject({ state: 'loaded', amount: 500 });
    } else {
      const settled = await nextTap(flow);
      if (flow !== 'merchant-earn') expect(settled).toMatchObject({ outcome: 'completed', evidence: 'prove' });
    }

    const after = await holdings();
    expectMoved(before, after, spec.moves);
    const money = await reconcileMoney(w.services, new Map([[w.cards.transit, after.transit], [w.cards.ecash, after.ecash], [w.cards.loyalty, after.points]]));
    expect(money.mismatches).toEqual([]);
    expect(money.open).toBe(0);
    const file = FileJournal.open(journal);
    for (const card of Object.values(w.cards)) expect(await file.pending(card)).toBeNull();
  }, 60_000);
});

describe('a refund after a kill', () => {
  const refund = async (orderKey: string) => tapWith(['refund', '--order-key', orderKey, ...terminalArgs('second'), '--json']);

  it('the card proves it never did the load (POS killed after the authorisation): the load is released, the payment goes back', async () => {
    const before = await holdings();
    const orderKey = 'refund-not-loaded';
    const code = issuePayerCode(w.parties.db, 'payment', 'payer', 500).code;
    await killDuring('pos', 'after-authorise', ['tap', ...FLOWS['third-party-recharge'].args({ orderKey, code, retry: false }), ...terminalArgs('second')]);
    // Without the card the platform cannot know the load never happened: 409.
    const blind = await runPos(['refund', '--order-key', orderKey, ...terminalArgs('second'), '--reader', `direct:${await freePort()}`, '--wait', '1']);
    expect(blind.code).not.toBe(EXIT.OK);
    const r = await refund(orderKey);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'refunded', amount: 500 });
    expect(await holdings()).toEqual(before);
    const money = await reconcileMoney(w.services, new Map([[w.cards.transit, before.transit]]));
    expect(money.mismatches).toEqual([]);
    expect(money.open).toBe(0);
  }, 60_000);

  it('the card did the load (POS killed after its answer): the refund is refused, the order is loaded once', async () => {
    const before = await holdings();
    const orderKey = 'refund-loaded';
    const code = issuePayerCode(w.parties.db, 'payment', 'payer', 500).code;
    await killDuring('pos', 'after-card-answer', ['tap', ...FLOWS['third-party-recharge'].args({ orderKey, code, retry: false }), ...terminalArgs('second')]);
    const r = await refund(orderKey);
    expect(r.code).toBe(EXIT.DECLINED);
    expect(r.stderr).toContain('nothing to refund');
    expectMoved(before, await holdings(), FLOWS['third-party-recharge'].moves);
    expect((await reconcileMoney(w.services)).mismatches).toEqual([]);
  }, 60_000);
});

describe('tapcard platform reconcile', () => {
  it('prints cards, orders and accounts; exit 0 when they conserve money, 1 with the mismatch when a card holds something else', async () => {
    const held = await holdings();
    const cards = (transit: number) => ['--card', `${w.cards.transit}=${transit}`, '--card', `${w.cards.ecash}=${held.ecash}`, '--card', `${w.cards.loyalty}=${held.points}`];
    const out: string[] = [];
    const log = (...a: unknown[]) => void out.push(a.join(' '));
    const original = console.log;
    console.log = log;
    let ok: number;
    let bad: number;
    try {
      ok = await platformCli(['reconcile', '--data', w.flow.tp.dir, ...cards(held.transit)]);
      bad = await platformCli(['reconcile', '--data', w.flow.tp.dir, ...cards(held.transit + 100)]);
    } finally {
      console.log = original;
    }
    expect(ok).toBe(EXIT.OK);
    expect(out[0]).toContain('mismatches 0');
    expect(out[0]).toMatch(/^order {4}refund-loaded {2}5\.00 from payer {2}loaded$/m);
    expect(out[0]).toMatch(/^order {4}refund-not-loaded {2}5\.00 from payer {2}refunded$/m);
    expect(out[0]).toMatch(/account {2}payment +payer {2}\d+\.\d\d {2}expected \d+\.\d\d/);
    expect(bad).toBe(EXIT.FAILURE);
    expect(out[1]).toContain(`MISMATCH transit card ${w.cards.transit}: the card holds ${held.transit + 100}, the ledger settles ${held.transit}`);
  });
});
