/**
 * Third terminal: e-cash deposit from a bank account and debit on a bank card the
 * platform downloaded, authorised by the bank's server with the bank's keys. Declines move no
 * money; a deposit that never reached the card goes back to the account; the bank's ledger
 * reconciles with the card's TACs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardRemovedError } from '../../host/vpcd/errors';
import { getAccount, openAccount } from '../../parties/accounts';
import { issuePayerCode } from '../../parties/payer-authorisation';
import { BankPos } from '../../pos-sim/src/bank/bank-pos';
import { PlatformClient, TerminalAuthError, type PlatformEndpoint } from '../../pos-sim/src/online/platform-client';
import { PurseDeclinedError } from '../../contracts/purse-errors';
import { MemoryJournal } from '../../pos-sim/src/purse/journal';
import { CardLeavingAt, onlineWorld, type OnlineWorld } from './_world';

const INS_CREDIT = 0x52;

let w: OnlineWorld;
let third: PlatformEndpoint;
const journal = new MemoryJournal();

beforeAll(async () => {
  w = await onlineWorld();
  third = w.terminal('third-1', 'bank');
  openAccount(w.parties.db, 'bank', 'bob', 'Bob', 10_000);
}, 60_000);
afterAll(async () => {
  await w?.close();
});

const bank = (endpoint: PlatformEndpoint = third): BankPos => new BankPos({ reader: w.reader, client: new PlatformClient(endpoint), journal });
const bob = (): number => getAccount(w.parties.db, 'bank', 'bob').balance;
/** What the account holder's payment app gives the till. */
const payerCode = (account: string, max: number, ttlSeconds?: number): string => issuePayerCode(w.parties.db, 'bank', account, max, ttlSeconds).code;
const reconcile = (balance: number) =>
  new PlatformClient(third).get<{ mismatches: string[]; settledBalance: number; open: number }>(`/v1/terminal/bank/cards/${w.cards.ecash}/reconciliation?balance=${balance}`);

describe('third terminal: bank e-cash deposit and debit', () => {
  it('deposits 30.00 from the account and debits 12.50 on the e-cash card; ledger and card agree', async () => {
    w.tap();
    const dep = await bank().deposit(3000, 'bob', payerCode('bob', 3000));
    expect(dep).toMatchObject({ cardNumber: w.cards.ecash, balanceBefore: 0, balanceAfter: 3000 });
    expect(dep.aid).toMatch(/^F05441504345430BB8$/);
    expect(bob()).toBe(7000);
    const deb = await bank().debit(1250);
    expect(deb).toMatchObject({ balanceBefore: 3000, balanceAfter: 1750 });
    expect(w.services.bank.ledger(w.cards.ecash).map((r) => [r.kind, r.amount, r.state, r.tac?.toUpperCase()])).toEqual([
      ['load', 3000, 'confirmed', dep.tac],
      ['purchase', 1250, 'confirmed', deb.tac],
    ]);
    expect(await reconcile(1750)).toMatchObject({ mismatches: [], settledBalance: 1750, open: 0 });
    // The transit card beside it is untouched.
    expect(w.services.transit.ledger(w.cards.transit)).toEqual([]);
    await w.leave();
  });

  it('declines a deposit the account cannot cover (402) and a debit over the balance (9401); nothing moves', async () => {
    w.tap();
    await expect(bank().deposit(7001, 'bob', payerCode('bob', 7001))).rejects.toBeInstanceOf(PurseDeclinedError);
    await expect(bank().deposit(100, 'nobody', '123456789012345678')).rejects.toMatchObject({ status: 404 });
    const over = await bank().debit(1751).catch((e: unknown) => e);
    expect((over as PurseDeclinedError).sw).toBe(0x9401);
    const transit = w.terminal('first-x', 'transit');
    await expect(bank(transit).debit(100)).rejects.toBeInstanceOf(TerminalAuthError);
    expect(bob()).toBe(7000);
    expect((await bank().read()).balance).toBe(1750);
    expect(w.services.bank.ledger(w.cards.ecash)).toHaveLength(2);
    await w.leave();
  });

  it('a deposit that never reached the card goes back to the account when the next deposit proves it', async () => {
    const card = new CardLeavingAt(w.se);
    const client = w.tap(card);
    card.arm(INS_CREDIT, 'before', () => void client.stop());
    await expect(bank().deposit(1000, 'bob', payerCode('bob', 1000))).rejects.toBeInstanceOf(CardRemovedError);
    expect(bob()).toBe(6000); // held while the card's answer is unknown

    w.tap();
    const next = await bank().deposit(500, 'bob', payerCode('bob', 500));
    expect(next).toMatchObject({ balanceBefore: 1750, balanceAfter: 2250, recovered: { outcome: 'not-done', amount: 1000 } });
    expect(bob()).toBe(6500);
    expect(await reconcile(2250)).toMatchObject({ mismatches: [], settledBalance: 2250, open: 0 });
    await w.leave();
  });

  it('refuses a deposit without the account holder\'s payment code (403): unknown, another account\'s, used, expired or too small; nothing moves', async () => {
    openAccount(w.parties.db, 'bank', 'carol', 'Carol', 5000);
    w.tap();
    const before = bob();
    const expiring = payerCode('bob', 100, 1);
    const used = payerCode('bob', 100);
    await bank().deposit(100, 'bob', used);
    await new Promise((r) => setTimeout(r, 1100)); // `expiring` has expired
    for (const code of ['000000000000000000', payerCode('carol', 100), used, expiring, payerCode('bob', 99)]) {
      await expect(bank().deposit(100, 'bob', code)).rejects.toMatchObject({ status: 403 });
    }
    expect(bob()).toBe(before - 100);
    expect(getAccount(w.parties.db, 'bank', 'carol').balance).toBe(5000);
    await w.leave();
  });

});
