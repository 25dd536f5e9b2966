/**
 * Second terminal: a transit recharge paid through the third-party payment
 * system, payment first, one idempotency key from the payment to the card. Retries never charge
 * or load twice; a card leaving after the payment is settled on the next tap (GET TRANSACTION
 * PROVE) or the order is refunded; duplicate payment notifications change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardRemovedError } from '../../host/vpcd/errors';
import { issuePayerCode } from '../../parties/payer-authorisation';
import { getAccount } from '../../parties/accounts';
import { PlatformClient, PlatformError, type PlatformEndpoint } from '../../pos-sim/src/online/platform-client';
import { orderPath, rechargeWithThirdParty, refundRecharge } from '../../pos-sim/src/online/third-party-recharge';
import { PurseDeclinedError } from '../../contracts/purse-errors';
import { MemoryJournal } from '../../pos-sim/src/purse/journal';
import { TransitPos } from '../../pos-sim/src/purse/transit-pos';
import { DevKeysSecurityModule } from '../../parties/purse-security-module';
import { CardLeavingAt, onlineWorld, type OnlineWorld } from './_world';

const INS_CREDIT = 0x52;

let w: OnlineWorld;
let second: PlatformEndpoint;
const journal = new MemoryJournal();

beforeAll(async () => {
  w = await onlineWorld();
  second = w.terminal('second-1', 'transit-payment');
  w.parties.payments.openAccount('alice', 'Alice', 20_000);
}, 60_000);
afterAll(async () => {
  await w?.close();
});

/** Alice's payment app shows a fresh one-use payment code for each purchase. */
const aliceCode = (max: number): string => issuePayerCode(w.parties.db, 'payment', 'alice', max).code;

function recharge(key: string, amount: number) {
  return rechargeWithThirdParty({ reader: w.reader, client: new PlatformClient(second), journal, idempotencyKey: key, accountId: 'alice', payerCode: aliceCode(amount), amount });
}

const alice = (): number => getAccount(w.parties.db, 'payment', 'alice').balance;
/** The card's balance as any reader sees it (offline read: no key needed to read). */
async function cardBalance(): Promise<number> {
  return (await new TransitPos({ reader: w.reader, securityModule: new DevKeysSecurityModule(), journal }).read()).balance;
}
const orderRows = (key: string): number => (w.parties.db.prepare('SELECT count(*) AS n FROM ledger WHERE order_id = ?').get(key) as { n: number }).n;

describe('second terminal: recharge paid by the third-party payment system', () => {
  it('charges first, then loads 50.00 under the same key; the same key again charges and loads nothing more', async () => {
    w.tap();
    const r = await recharge('order-1', 5000);
    expect(r.order).toMatchObject({ idempotencyKey: 'order-1', state: 'loaded', cardNumber: w.cards.transit, amount: 5000, balanceAfter: 5000 });
    expect(r.transaction).toMatchObject({ balanceBefore: 0, balanceAfter: 5000 });
    expect(r.order.tac?.toUpperCase()).toBe(r.transaction?.tac);
    expect(alice()).toBe(15_000);

    const again = await recharge('order-1', 5000);
    expect(again).toMatchObject({ transaction: null, order: { state: 'loaded' } });
    expect(alice()).toBe(15_000);
    expect(await cardBalance()).toBe(5000);
    expect(orderRows('order-1')).toBe(1);

    // The retried charge notified the platform again: recorded as a duplicate, nothing changed.
    const notes = w.services.db.prepare('SELECT duplicate FROM payment_notifications ORDER BY id').all() as { duplicate: number }[];
    expect(notes.map((n) => n.duplicate)).toEqual([0, 1]);
    await w.leave();
  });

  it('refuses a reused key with another amount (409) and a charge the account cannot cover (402), with no money moved', async () => {
    w.tap();
    await expect(recharge('order-1', 100)).rejects.toMatchObject({ status: 409 });
    await expect(recharge('order-big', 1_000_000)).rejects.toBeInstanceOf(PurseDeclinedError);
    expect(w.services.payments.find('order-big')).toBeUndefined();
    expect(alice()).toBe(15_000);
    expect(await cardBalance()).toBe(5000);
    await w.leave();
  });

  it('card leaves after the payment, before the load reaches it: no refund while unsettled; the next tap loads it once', async () => {
    const card = new CardLeavingAt(w.se);
    const client = w.tap(card);
    card.arm(INS_CREDIT, 'before', () => void client.stop());
    await expect(recharge('order-2', 1000)).rejects.toBeInstanceOf(CardRemovedError);
    expect(alice()).toBe(14_000);
    const c = new PlatformClient(second);
    expect((await c.get<{ state: string }>('/v1/terminal/recharge-orders/order-2')).state).toBe('loading');
    const refused = await refundRecharge(c, 'order-2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PlatformError);
    expect((refused as PlatformError).status).toBe(409);

    w.tap();
    const r = await recharge('order-2', 1000);
    expect(r.transaction).toMatchObject({ balanceBefore: 5000, balanceAfter: 6000, recovered: { outcome: 'not-done' } });
    expect(r.order.state).toBe('loaded');
    expect(alice()).toBe(14_000);
    expect(orderRows('order-2')).toBe(1);
    await w.leave();
  });

  it('card leaves after the load committed: the next tap proves it and loads nothing more', async () => {
    const card = new CardLeavingAt(w.se);
    const client = w.tap(card);
    card.arm(INS_CREDIT, 'after', () => void client.stop());
    await expect(recharge('order-3', 500)).rejects.toBeInstanceOf(CardRemovedError);

    w.tap();
    const r = await recharge('order-3', 500);
    expect(r).toMatchObject({ transaction: null, order: { state: 'loaded', balanceAfter: 6500 } });
    expect(await cardBalance()).toBe(6500);
    expect(alice()).toBe(13_500);
    await w.leave();
  });

  it('a paid order no card took is refunded once; it can no longer be loaded', async () => {
    const c = new PlatformClient(second);
    await c.post('/v1/terminal/recharge-orders', { idempotencyKey: 'order-4', accountId: 'alice', amount: 700, payerCode: aliceCode(700) });
    expect(alice()).toBe(12_800);
    expect(await refundRecharge(c, 'order-4')).toMatchObject({ state: 'refunded' });
    expect(await refundRecharge(c, 'order-4')).toMatchObject({ state: 'refunded' });
    expect(alice()).toBe(13_500);
    w.tap();
    await expect(recharge('order-4', 700)).rejects.toMatchObject({ status: 409 });
    expect(await cardBalance()).toBe(6500);

    const rec = await c.get<{ mismatches: string[]; settledBalance: number }>(`/v1/terminal/transit/cards/${w.cards.transit}/reconciliation?balance=6500`);
    expect(rec).toMatchObject({ mismatches: [], settledBalance: 6500 });
    await w.leave();
  });

  it('an order is its terminal\'s: another terminal may not read, refund, load or reuse its key (403); a charge needs the payer\'s code', async () => {
    const mine = new PlatformClient(second);
    const other = new PlatformClient(w.terminal('second-2', 'transit-payment'));
    await mine.post('/v1/terminal/recharge-orders', { idempotencyKey: 'order-5', accountId: 'alice', amount: 300, payerCode: aliceCode(300) });
    const paid = alice();
    await expect(other.get(orderPath('order-5'))).rejects.toMatchObject({ status: 403 });
    await expect(refundRecharge(other, 'order-5')).rejects.toMatchObject({ status: 403 });
    await expect(other.post('/v1/terminal/recharge-orders', { idempotencyKey: 'order-5', accountId: 'alice', amount: 300, payerCode: aliceCode(300) })).rejects.toMatchObject({ status: 403 });
    w.tap();
    await expect(
      rechargeWithThirdParty({ reader: w.reader, client: other, journal, idempotencyKey: 'order-5', accountId: 'alice', amount: 300 }),
    ).rejects.toMatchObject({ status: 403 });
    await w.leave();
    // no payer code, or a code for less: nothing charged, and the key stays free
    await expect(other.post('/v1/terminal/recharge-orders', { idempotencyKey: 'order-6', accountId: 'alice', amount: 300 })).rejects.toMatchObject({ status: 403 });
    await expect(other.post('/v1/terminal/recharge-orders', { idempotencyKey: 'order-6', accountId: 'alice', amount: 300, payerCode: aliceCode(299) })).rejects.toMatchObject({ status: 403 });
    expect(alice()).toBe(paid);
    expect(await refundRecharge(mine, 'order-5')).toMatchObject({ state: 'refunded' });
    expect(alice()).toBe(paid + 300);
  });
});
