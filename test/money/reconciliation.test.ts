/**
 * Money reconciliation finds what a bug or a tampered database would leave: an order loaded twice,
 * a refunded order that a card holds, an account that gained money from nowhere, a card that holds
 * more than its ledger settled. A paid order not loaded yet is open, not a mismatch.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getAccount, openAccount } from '../../parties/accounts';
import type { LedgerIssuer } from '../../contracts/issuer-services';
import type { PartiesDb } from '../../parties/db';
import { authorise, confirm, findAtCounter } from '../../parties/ledger';
import { issuePayerCode } from '../../parties/payer-authorisation';
import { reconcileMoney } from '../../platform-server/src/terminals/money-reconciliation';
import { createOrder, refundOrder } from '../../platform-server/src/terminals/recharge-orders';
import type { TerminalServices } from '../../platform-server/src/terminals/terminal-services';
import { startSimulatedParties, type RunningParties } from '../../cli/simulated-parties';
import { tempPlatform, type TempPlatform } from '../platform/_fixtures';

const TRANSIT_CARD = '31041000000000000001';
const OTHER_CARD = '31041000000000000002';
const LOYALTY_CARD = '88000500000000000001';

let tp: TempPlatform;
let parties: RunningParties;
let s: TerminalServices;
/** The parties' store, where the ledgers and accounts are. */
let db: PartiesDb;

beforeEach(async () => {
  tp = await tempPlatform();
  parties = startSimulatedParties(tp.platform);
  s = parties.services;
  db = parties.parties.db;
  parties.parties.payments.openAccount('payer', 'Payer', 10_000);
  openAccount(db, 'bank', 'saver', 'Saver', 10_000);
});
afterEach(() => {
  parties.close();
  tp.cleanup();
});

function paidOrder(key: string, amount: number): void {
  createOrder(s.db, s, 'second', { idempotencyKey: key, accountId: 'payer', amount, payerCode: issuePayerCode(db, 'payment', 'payer', amount).code });
}

/** A ledger row at `counter`, confirmed unless told otherwise (as the issuer servers write them). */
function row(issuer: LedgerIssuer, card: string, kind: string, counter: number, amount: number, orderId: string | null, confirmed = true): void {
  authorise(db, { issuer, cardNumber: card, kind, amount, balanceBefore: null, balanceAfter: null, counter, terminalId: '504f53000001', orderId, mac: null }, [kind]);
  if (confirmed) confirm(db, findAtCounter(db, issuer, card, [kind], counter)!.id, 'aabbccdd', null);
}

describe('money reconciliation', () => {
  it('a paid order not loaded yet is open; its account is the opening balance less the charge: no mismatch', async () => {
    paidOrder('o-1', 500);
    const r = await reconcileMoney(s);
    expect(r.mismatches).toEqual([]);
    expect(r.open).toBe(1);
    expect(r.orders).toMatchObject([{ idempotencyKey: 'o-1', payment: 'paid', loads: 0, open: true }]);
    expect(r.accounts.find((a) => a.id === 'payer')).toMatchObject({ balance: 9_500, opening: 10_000, expected: 9_500 });
  });

  it('an order loaded onto two cards is a mismatch', async () => {
    paidOrder('o-2', 500);
    row('transit', TRANSIT_CARD, 'load', 0, 500, 'o-2');
    row('transit', OTHER_CARD, 'load', 0, 500, 'o-2');
    expect((await reconcileMoney(s)).mismatches).toContain('order o-2: loaded 2 times, paid once');
  });

  it('a refunded order that a card holds is a mismatch', async () => {
    paidOrder('o-3', 500);
    refundOrder(s.db, s, 'second', 'o-3');
    row('transit', TRANSIT_CARD, 'load', 0, 500, 'o-3');
    expect((await reconcileMoney(s)).mismatches).toContain('order o-3: refunded, and loaded onto a card');
  });

  it('an account holding more than its opening balance less what it paid out is a mismatch; a held deposit counts as paid out', async () => {
    row('bank', TRANSIT_CARD, 'load', 0, 300, 'account:saver', false);
    db.prepare("UPDATE accounts SET balance = balance - 300 WHERE id = 'saver'").run();
    expect((await reconcileMoney(s)).mismatches).toEqual([]);
    db.prepare("UPDATE accounts SET balance = balance + 100 WHERE id = 'payer'").run();
    expect(getAccount(db, 'payment', 'payer').balance).toBe(10_100);
    expect((await reconcileMoney(s)).mismatches).toContain('payment account payer: holds 10100, opened with 10000 less 0 paid out: 10000');
  });

  it('a loyalty card holding other points than its confirmed earns less redeems is a mismatch', async () => {
    row('merchant', LOYALTY_CARD, 'earn', 0, 40, null);
    row('merchant', LOYALTY_CARD, 'redeem', 1, 15, null);
    expect((await reconcileMoney(s, new Map([[LOYALTY_CARD, 25]]))).mismatches).toEqual([]);
    expect((await reconcileMoney(s, new Map([[LOYALTY_CARD, 40]]))).mismatches).toEqual([`merchant card ${LOYALTY_CARD}: the card holds 40 points, the ledger settles 25`]);
  });
});
