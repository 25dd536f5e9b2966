/**
 * The platform's side of recharge orders (second terminal, ARCHITECTURE.md flow 4): which terminal
 * created each order (table `recharge_orders`). An order belongs to the terminal that created it:
 * another terminal may not read, load or refund it, nor create one under its key (FORBIDDEN). The
 * order itself, its payment and the load it pays for, is the transit company's and the payment
 * system's (parties/transit-server.ts); the payment needs the payer's payment code.
 */
import { IssuerRefusal } from '../../../contracts/issuer-refusal';
import type { ChargeRequest, IssuerServices } from '../../../contracts/issuer-services';
import type { RechargeOrder } from '../../../contracts/recharge-order-messages';
import { nowIso, type PlatformDb } from '../db/database';

/** FORBIDDEN unless `terminalId` created order `key` (NOT_FOUND when there is no such order). */
export function requireOrderOwner(db: PlatformDb, terminalId: string, key: string): void {
  const row = db.prepare('SELECT terminal_id FROM recharge_orders WHERE idempotency_key = ?').get(key) as { terminal_id: string } | undefined;
  if (row === undefined) throw new IssuerRefusal('NOT_FOUND', `no recharge order '${key}'`);
  if (row.terminal_id !== terminalId) throw new IssuerRefusal('FORBIDDEN', `recharge order '${key}' belongs to another terminal`);
}

/**
 * Pays a new order for `terminalId`, or answers the same order again to its creator's retry. The
 * key is claimed for the terminal before the payment; a refused payment gives a claim it made back.
 */
export function createOrder(db: PlatformDb, s: IssuerServices, terminalId: string, req: ChargeRequest): { order: RechargeOrder; replayed: boolean } {
  const claimed = db.transaction(() => {
    const n = db.prepare('INSERT INTO recharge_orders (idempotency_key, terminal_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(req.idempotencyKey, terminalId, nowIso()).changes;
    requireOrderOwner(db, terminalId, req.idempotencyKey);
    return n === 1;
  })();
  let replayed: boolean;
  try {
    replayed = s.payments.charge(req).replayed;
  } catch (e) {
    if (claimed && e instanceof IssuerRefusal) db.prepare('DELETE FROM recharge_orders WHERE idempotency_key = ?').run(req.idempotencyKey);
    throw e;
  }
  return { order: s.transit.rechargeOrder(req.idempotencyKey), replayed };
}

/** The order `key` as its creator `terminalId` sees it. */
export function rechargeOrder(db: PlatformDb, s: IssuerServices, terminalId: string, key: string): RechargeOrder {
  requireOrderOwner(db, terminalId, key);
  return s.transit.rechargeOrder(key);
}

/** Refunds an order no card holds (the transit company refuses while a load of it is loaded or unsettled). */
export function refundOrder(db: PlatformDb, s: IssuerServices, terminalId: string, key: string): RechargeOrder {
  requireOrderOwner(db, terminalId, key);
  return s.transit.refundOrder(key);
}

/** The keys of every order the platform's terminals created, oldest first. */
export function orderKeys(db: PlatformDb): string[] {
  return (db.prepare('SELECT idempotency_key FROM recharge_orders ORDER BY created_at, idempotency_key').all() as { idempotency_key: string }[]).map((r) => r.idempotency_key);
}
