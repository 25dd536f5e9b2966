/**
 * Fourth terminal: earn and redeem points and a coupon on a merchant loyalty card
 * the platform downloaded, each change MACed by the merchant server over value, card counter,
 * terminal id and date-time, the card's receipt checked and kept in the points ledger. A card that
 * leaves mid-change is settled by its counter on the next tap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardRemovedError } from '../../host/vpcd/errors';
import { LoyaltyPos } from '../../pos-sim/src/loyalty/loyalty-pos';
import { PlatformClient, TerminalAuthError, type PlatformEndpoint } from '../../pos-sim/src/online/platform-client';
import { PurseDeclinedError } from '../../contracts/purse-errors';
import { CardLeavingAt, onlineWorld, type OnlineWorld } from './_world';

const INS_EARN = 0x30;

let w: OnlineWorld;
let fourth: PlatformEndpoint;

beforeAll(async () => {
  w = await onlineWorld();
  fourth = w.terminal('fourth-1', 'merchant');
}, 60_000);
afterAll(async () => {
  await w?.close();
});

const pos = (endpoint: PlatformEndpoint = fourth): LoyaltyPos => new LoyaltyPos({ reader: w.reader, client: new PlatformClient(endpoint) });
const ledger = () => w.services.merchant.ledger(w.cards.loyalty).map((r) => [r.kind, r.amount, r.counter, r.state, r.balanceAfter]);

describe('fourth terminal: merchant loyalty', () => {
  it('earns points on a 128.50 purchase, redeems 28, adds and uses a coupon; the points ledger holds every receipt', async () => {
    w.tap();
    const earn = await pos().earn(12_850);
    expect(earn).toMatchObject({ cardNumber: w.cards.loyalty, value: 128, pointsBefore: 0, pointsAfter: 128, counter: 0 });
    expect(earn.receipt).toMatch(/^[0-9A-F]{16}$/);
    expect(await pos().redeem(28)).toMatchObject({ pointsBefore: 128, pointsAfter: 100, counter: 1 });
    await pos().addCoupon(0x1001);
    expect((await pos().read()).coupons.map((c) => c.id)).toEqual([0x1001]);
    await pos().useCoupon(0x1001);
    const r = await pos().read();
    expect(r).toMatchObject({ points: 100, counter: 4, coupons: [] });
    expect(ledger()).toEqual([
      ['earn', 128, 0, 'confirmed', 128],
      ['redeem', 28, 1, 'confirmed', 100],
      ['coupon-add', 0x1001, 2, 'confirmed', 100],
      ['coupon-use', 0x1001, 3, 'confirmed', 100],
    ]);
    const rows = w.services.merchant.ledger(w.cards.loyalty);
    expect(rows[0].tac?.toUpperCase()).toBe(earn.receipt);
    await w.leave();
  });

  it('declines a redeem beyond the points and refuses other terminals, with no change on card or ledger', async () => {
    w.tap();
    await expect(pos().redeem(101)).rejects.toBeInstanceOf(PurseDeclinedError);
    const bad = await pos({ ...fourth, terminalKey: 'wrong' }).earn(1000).catch((e: unknown) => e);
    expect((bad as TerminalAuthError).status).toBe(401);
    const transit = w.terminal('first-m', 'transit');
    expect(((await pos(transit).earn(1000).catch((e: unknown) => e)) as TerminalAuthError).status).toBe(403);
    expect((await pos().read()).points).toBe(100);
    expect(ledger()).toHaveLength(4);
    await w.leave();
  });

  it('card leaves after an earn committed: the next tap settles it by the card counter; before: replaced, nothing earned', async () => {
    let card = new CardLeavingAt(w.se);
    let client = w.tap(card);
    card.arm(INS_EARN, 'after', () => void client.stop());
    await expect(pos().earn(5_000)).rejects.toBeInstanceOf(CardRemovedError);
    w.tap();
    const r = await pos().read();
    expect(r.points).toBe(150);
    expect(r.settled).toEqual([{ operation: 'earn', value: 50, counter: 4, pointsAfter: 150 }]);
    await w.leave();

    card = new CardLeavingAt(w.se);
    client = w.tap(card);
    card.arm(INS_EARN, 'before', () => void client.stop());
    await expect(pos().earn(7_000)).rejects.toBeInstanceOf(CardRemovedError);
    w.tap();
    const next = await pos().earn(1_000);
    expect(next).toMatchObject({ pointsBefore: 150, pointsAfter: 160, counter: 5, settled: [] });
    expect(ledger().slice(4)).toEqual([
      ['earn', 50, 4, 'confirmed', 150],
      ['earn', 10, 5, 'confirmed', 160],
    ]);
    await w.leave();
  });
});
