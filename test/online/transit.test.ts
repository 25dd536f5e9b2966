/**
 * First terminal: transit debit and recharge authorised online through the
 * platform's terminal API and the transit server's security module, on a card the platform
 * downloaded, tapped over the direct vpcd link. Declines change nothing; a card leaving mid-debit
 * or mid-recharge is settled on the next tap; the ledger reconciles with the card's TACs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardRemovedError } from '../../host/vpcd/errors';
import { SeCardDevice } from '../../host/se/virtual-se';
import type { Reconciliation } from '../../platform-server/src/terminals/reconciliation';
import { OnlineSecurityModule } from '../../pos-sim/src/online/online-security-module';
import { PlatformClient, TerminalAuthError, UnknownCardError, type PlatformEndpoint } from '../../pos-sim/src/online/platform-client';
import { PurseDeclinedError } from '../../contracts/purse-errors';
import { MemoryJournal } from '../../pos-sim/src/purse/journal';
import { TransitPos } from '../../pos-sim/src/purse/transit-pos';
import { transitSe } from '../pos/_transit-se';
import { CardLeavingAt, onlineWorld, type OnlineWorld } from './_world';

const INS_CREDIT = 0x52;
const INS_DEBIT = 0x54;

let w: OnlineWorld;
let first: PlatformEndpoint;
const journal = new MemoryJournal();

beforeAll(async () => {
  w = await onlineWorld();
  first = w.terminal('first-1', 'transit');
}, 60_000);
afterAll(async () => {
  await w?.close();
});

function pos(endpoint: PlatformEndpoint = first): TransitPos {
  return new TransitPos({ reader: w.reader, securityModule: new OnlineSecurityModule(new PlatformClient(endpoint), 'transit'), journal });
}

function reconcile(balance: number): Promise<Reconciliation> {
  return new PlatformClient(first).get<Reconciliation>(`/v1/terminal/transit/cards/${w.cards.transit}/reconciliation?balance=${balance}`);
}

function ledgerRows(): number {
  return w.services.transit.ledger(w.cards.transit).length;
}

describe('first terminal: transit online', () => {
  it('recharges 50.00 and debits 2.00 through the transit server; the ledger holds both with the card TACs', async () => {
    w.tap();
    const load = await pos().recharge(5000);
    expect(load).toMatchObject({ cardNumber: w.cards.transit, balanceBefore: 0, balanceAfter: 5000, counter: 0 });
    const debit = await pos().debit(200);
    expect(debit).toMatchObject({ balanceBefore: 5000, balanceAfter: 4800, counter: 0 });
    expect(await pos().read()).toMatchObject({ balance: 4800 });

    const rows = w.services.transit.ledger(w.cards.transit);
    expect(rows.map((r) => [r.kind, r.counter, r.amount, r.state, r.tac?.toUpperCase()])).toEqual([
      ['load', 0, 5000, 'confirmed', load.tac],
      ['purchase', 0, 200, 'confirmed', debit.tac],
    ]);
    const rec = await reconcile(4800);
    expect(rec.mismatches).toEqual([]);
    expect(rec).toMatchObject({ settledBalance: 4800, cardBalance: 4800, open: 0 });
    expect(rec.entries.every((e) => e.tacVerified === true && e.platformTac === e.ledgerTac)).toBe(true);
    // The card manager's balance followed the card.
    const cm = (await import('../../host/terminal/cards')).readCards(w.se).find((c) => c.cardManager?.cardNumber === w.cards.transit);
    expect(cm?.cardManager).toMatchObject({ balance: 4800, appClass: 1, appClassName: 'transit' });
    await w.leave();
  });

  it('declines a debit over the balance (9401) with no ledger row and no money moved', async () => {
    w.tap();
    const before = ledgerRows();
    const err = await pos().debit(999_999).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PurseDeclinedError);
    expect((err as PurseDeclinedError).sw).toBe(0x9401);
    expect(ledgerRows()).toBe(before);
    expect((await pos().read()).balance).toBe(4800);
    await w.leave();
  });

  it('answers wrong terminal credentials with 401 and changes nothing, on the card or in the ledger', async () => {
    w.tap();
    const before = ledgerRows();
    for (const bad of [{ ...first, terminalKey: 'not-the-key' }, { ...first, terminalId: 'no-such-terminal' }]) {
      const err = await pos(bad).debit(100).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalAuthError);
      expect((err as TerminalAuthError).status).toBe(401);
      const errLoad = await pos(bad).recharge(100).catch((e: unknown) => e);
      expect((errLoad as TerminalAuthError).status).toBe(401);
    }
    expect(ledgerRows()).toBe(before);
    const r = await pos().read();
    expect(r.balance).toBe(4800);
    expect(r.log).toHaveLength(2);
    // A terminal of another role is refused as well (403).
    const bank = w.terminal('third-x', 'bank');
    expect(((await pos(bank).debit(100).catch((e: unknown) => e)) as TerminalAuthError).status).toBe(403);
    await w.leave();
  });

  it('refuses a body that does not fit its schema with 400 INVALID naming the field; the ledger is unchanged', async () => {
    const client = new PlatformClient(first);
    const body = {
      cardNumber: w.cards.transit, keyIndex: 1, keyVersion: 1, algorithm: 0, amount: 100, txType: 6, terminalId: '000000000001',
      offlineCounter: 0, random: '0102030', terminalSerial: '00000001', dateTime: '20261204030000',
    };
    const rows = ledgerRows();
    for (const [sent, message] of [
      [body, 'random: expected 4 bytes as hex, got "0102030"'],
      [{ ...body, random: '01020304', tip: 1 }, 'tip: unknown field'],
      [{ ...body, random: '01020304', dateTime: null }, 'dateTime: missing'],
    ] as const) {
      const refused = await client.post('/v1/terminal/transit/purchase/authorise', sent).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 400, code: 'INVALID', message: `platform: ${message}` });
    }
    expect(ledgerRows()).toBe(rows);
  });

  it('answers a card the transit company never issued with 404 (unknown card), nothing changed', async () => {
    const stranger = await transitSe();
    w.tap(new SeCardDevice(stranger));
    await expect(pos().recharge(1000)).rejects.toBeInstanceOf(UnknownCardError);
    const r = await pos().read();
    expect(r.balance).toBe(0);
    expect(w.services.transit.ledger(r.cardNumber)).toEqual([]);
    await w.leave();
  });

  it('card leaves after committing a debit: the next tap proves it (GET TRANSACTION PROVE) and confirms the ledger once', async () => {
    const card = new CardLeavingAt(w.se);
    const client = w.tap(card);
    card.arm(INS_DEBIT, 'after', () => void client.stop());
    await expect(pos().debit(300)).rejects.toBeInstanceOf(CardRemovedError);
    expect(w.services.transit.ledger(w.cards.transit).find((r) => r.kind === 'purchase' && r.counter === 1)?.state).toBe('authorised');

    w.tap();
    const r = await pos().read();
    expect(r.recovered).toMatchObject({ kind: 'purchase', amount: 300, outcome: 'completed', evidence: 'prove' });
    expect(r.balance).toBe(4500);
    const row = w.services.transit.ledger(w.cards.transit).find((x) => x.kind === 'purchase' && x.counter === 1);
    expect(row).toMatchObject({ state: 'confirmed', amount: 300 });
    expect(row?.tac?.toUpperCase()).toBe(r.recovered?.tac);
    expect((await reconcile(4500)).mismatches).toEqual([]);
    await w.leave();
  });

  it('card leaves before a debit reaches it: nothing taken; the open authorisation is taken over by the next debit', async () => {
    const card = new CardLeavingAt(w.se);
    const client = w.tap(card);
    card.arm(INS_DEBIT, 'before', () => void client.stop());
    await expect(pos().debit(700)).rejects.toBeInstanceOf(CardRemovedError);
    expect((await reconcile(4500)).open).toBe(1);

    w.tap();
    const next = await pos().debit(100);
    expect(next.recovered).toMatchObject({ kind: 'purchase', amount: 700, outcome: 'not-done' });
    expect(next).toMatchObject({ balanceBefore: 4500, balanceAfter: 4400, counter: 2 });
    const rec = await reconcile(4400);
    expect(rec).toMatchObject({ mismatches: [], open: 0, settledBalance: 4400 });
    await w.leave();
  });

  it('card leaves after committing a recharge: the next tap proves it; before it: nothing loaded, no money created', async () => {
    let card = new CardLeavingAt(w.se);
    let client = w.tap(card);
    card.arm(INS_CREDIT, 'after', () => void client.stop());
    await expect(pos().recharge(1000)).rejects.toBeInstanceOf(CardRemovedError);
    w.tap();
    const proved = await pos().read();
    expect(proved.recovered).toMatchObject({ kind: 'load', amount: 1000, outcome: 'completed', evidence: 'prove' });
    expect(proved.balance).toBe(5400);
    await w.leave();

    card = new CardLeavingAt(w.se);
    client = w.tap(card);
    card.arm(INS_CREDIT, 'before', () => void client.stop());
    await expect(pos().recharge(2000)).rejects.toBeInstanceOf(CardRemovedError);
    w.tap();
    const none = await pos().read();
    expect(none.recovered).toMatchObject({ kind: 'load', amount: 2000, outcome: 'not-done' });
    expect(none.balance).toBe(5400);

    const rec = await reconcile(5400);
    expect(rec.mismatches).toEqual([]);
    expect(rec.settledBalance).toBe(5400);
    expect(rec.open).toBe(1);
    // The card's TAC of every settled transaction is in the ledger, verified.
    expect(rec.entries.filter((e) => e.ledgerState === 'confirmed').map((e) => e.tacVerified)).toEqual([true, true, true, true, true]);
    await w.leave();
  });
});
