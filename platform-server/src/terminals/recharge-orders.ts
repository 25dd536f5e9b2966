/**
 * Recharge orders of the second terminal (ARCHITECTURE.md flow 4): a transit
 * recharge paid through the third-party payment system. One idempotency key names the order from
 * the payment to the card: the charge's key, and the order id on the transit ledger's load row.
 *
 *   1. POST recharge-orders {idempotencyKey, accountId, amount}: the payment FIRST (a retry with
 *      the same key is the same charge, never a second one)
 *   2. load authorisation with orderId = the key: allowed only while the order is paid and no load
 *      of it is confirmed (loadGuard, inside the ledger's transaction)
 *   3. the card's TAC confirms the load: the order is loaded
 *
 * An order belongs to the terminal that created it: another terminal may not read, load or refund
 * it, nor create one under its key (FORBIDDEN); the payment needs the payer's payment code
 * (issuers/payer-authorisation.ts).
 *
 * If the card leaves after the payment, the order stays paid: the next tap settles the open load
 * with GET TRANSACTION PROVE (it happened: loaded) or loads it then; or the order is refunded,
 * which is refused while a load of it may have reached a card.
 */
import { nowIso, type PlatformDb } from '../db/database';
import { IssuerRefusal } from '../issuers/errors';
import { orderLedger } from '../issuers/ledger';
import type { ChargeRequest, PaymentSystem } from '../issuers/payment-system';
import type { OrderState, RechargeOrder } from '../../../contracts/recharge-order-messages';

/** FORBIDDEN unless `terminalId` created order `key` (NOT_FOUND when there is no such order). */
function requireOwner(db: PlatformDb, terminalId: string, key: string): void {
  const row = db.prepare('SELECT terminal_id FROM recharge_orders WHERE idempotency_key = ?').get(key) as { terminal_id: string } | undefined;
  if (row === undefined) throw new IssuerRefusal('NOT_FOUND', `no recharge order '${key}'`);
  if (row.terminal_id !== terminalId) throw new IssuerRefusal('FORBIDDEN', `recharge order '${key}' belongs to another terminal`);
}

/**
 * Pays a new order for `terminalId`, or answers the same order again to its creator's retry. The
 * key is claimed for the terminal in the payment's transaction, so a refused payment claims nothing.
 */
export function createOrder(db: PlatformDb, payments: PaymentSystem, terminalId: string, req: ChargeRequest): { order: RechargeOrder; replayed: boolean } {
  const replayed = db.transaction(() => {
    db.prepare('INSERT INTO recharge_orders (idempotency_key, terminal_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(req.idempotencyKey, terminalId, nowIso());
    requireOwner(db, terminalId, req.idempotencyKey);
    return payments.charge(req).replayed;
  })();
  return { order: orderState(db, payments, req.idempotencyKey), replayed };
}

/** The order `key` as its creator `terminalId` sees it. */
export function rechargeOrder(db: PlatformDb, payments: PaymentSystem, terminalId: string, key: string): RechargeOrder {
  requireOwner(db, terminalId, key);
  return orderState(db, payments, key);
}

function orderState(db: PlatformDb, payments: PaymentSystem, key: string): RechargeOrder {
  const p = payments.find(key);
  if (p === undefined) throw new IssuerRefusal('NOT_FOUND', `no recharge order '${key}'`);
  const rows = orderLedger(db, key);
  const load = rows.find((r) => r.state === 'confirmed') ?? rows.find((r) => r.state === 'authorised');
  let state: OrderState = 'paid';
  if (p.state === 'refunded') state = 'refunded';
  else if (load?.state === 'confirmed') state = 'loaded';
  else if (load !== undefined) state = 'loading';
  return {
    idempotencyKey: key, paymentId: p.id, accountId: p.accountId, amount: p.amount, state,
    cardNumber: load?.cardNumber ?? null, counter: load?.counter ?? null, tac: load?.tac ?? null, balanceAfter: load?.balanceAfter ?? null,
  };
}

/**
 * May the order `key` pay for a load of `amount` on card at online counter? A load of it authorised
 * at that same card and counter may be taken over (it never happened: the counter did not move).
 */
export function loadGuard(db: PlatformDb, payments: PaymentSystem, terminalId: string, key: string, cardNumber: string, counter: number, amount: number): void {
  const order = rechargeOrder(db, payments, terminalId, key);
  if (order.state === 'refunded') throw new IssuerRefusal('CONFLICT', `order '${key}' was refunded`);
  if (order.state === 'loaded') throw new IssuerRefusal('CONFLICT', `order '${key}' is already loaded onto card ${order.cardNumber} (TAC ${order.tac})`);
  if (order.amount !== amount) throw new IssuerRefusal('DECLINED', `order '${key}' paid ${order.amount}, the load asks ${amount}`);
  if (order.state === 'loading' && (order.cardNumber !== cardNumber || order.counter !== counter)) {
    throw new IssuerRefusal('CONFLICT', `order '${key}' has an unsettled load on card ${order.cardNumber} at counter ${order.counter}: tap that card to settle it`);
  }
}

/** Refunds an order no card holds; refused while a load of it is loaded or unsettled. */
export function refundOrder(db: PlatformDb, payments: PaymentSystem, terminalId: string, key: string): RechargeOrder {
  const order = rechargeOrder(db, payments, terminalId, key);
  if (order.state === 'loaded') throw new IssuerRefusal('CONFLICT', `order '${key}' is loaded onto card ${order.cardNumber}: nothing to refund`);
  if (order.state === 'loading') {
    throw new IssuerRefusal('CONFLICT', `order '${key}' has an unsettled load on card ${order.cardNumber}: tap that card to settle it before a refund`);
  }
  payments.refund(key);
  return orderState(db, payments, key);
}
