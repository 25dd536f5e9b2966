/**
 * The second terminal's recharge (ARCHITECTURE.md flow 4; docs/terminal-api.md "Recharge
 * orders"): paid from a third-party payment account, one idempotency key from the payment to the
 * card.
 *
 *   1. POST /v1/terminal/recharge-orders {idempotencyKey, accountId, amount}: the payment FIRST;
 *      the same key again is the same charge (never a second debit)
 *   2. the load, authorised against that order (TransitPos + OnlineSecurityModule with orderId)
 *
 * Run it again with the same key after anything went wrong: a paid order is loaded now; a load
 * the card did while leaving the field is proven by this tap's GET TRANSACTION PROVE (the platform
 * then refuses a second load of the order, and the order reads loaded); a loaded order is only
 * reported. Money is never lost (the order stays paid until a card holds it, or is refunded) nor
 * doubled (one charge per key, one confirmed load per order).
 */
import type { Reader } from '../reader/reader';
import type { TransactionJournal } from '../purse/journal';
import { TransitPos, type TransactionResult } from '../purse/transit-pos';
import { OnlineSecurityModule } from './online-security-module';
import { LoadReleaseSchema, LoadReleasedSchema } from '../../../contracts/purse-messages';
import { RechargeOrderCreateSchema, RechargeOrderSchema, type RechargeOrder } from '../../../contracts/recharge-order-messages';
import { PlatformError, type PlatformClient } from './platform-client';
import { killPoint } from '../../../contracts/kill-point';
import { parseWire } from '../../../contracts/wire-schema';

export interface ThirdPartyRechargeOptions {
  reader: Reader;
  client: PlatformClient;
  journal?: TransactionJournal;
  idempotencyKey: string;
  accountId: string;
  /** The account holder's payment code (a retry of the same order needs none: it is paid). */
  payerCode?: string;
  amount: number;
  terminalId?: Uint8Array;
  timeoutMs?: number;
  clock?: () => Date;
}

export interface ThirdPartyRecharge {
  order: RechargeOrder;
  /** This tap's load, or null when the order was already loaded (by an earlier tap, or proven on this one). */
  transaction: TransactionResult | null;
}

export function orderPath(key: string): string {
  return `/v1/terminal/recharge-orders/${encodeURIComponent(key)}`;
}

/** The POS that loads order `idempotencyKey`: every load it authorises names the order. */
function orderPos(o: RefundWithCardOptions): TransitPos {
  return new TransitPos({
    reader: o.reader,
    securityModule: new OnlineSecurityModule(o.client, 'transit', { orderId: o.idempotencyKey }),
    journal: o.journal,
    terminalId: o.terminalId,
    clock: o.clock,
  });
}

export async function rechargeWithThirdParty(o: ThirdPartyRechargeOptions): Promise<ThirdPartyRecharge> {
  const order = await o.client.exchange('/v1/terminal/recharge-orders', RechargeOrderCreateSchema, {
    idempotencyKey: o.idempotencyKey, accountId: o.accountId, amount: o.amount, payerCode: o.payerCode,
  }, RechargeOrderSchema);
  killPoint('pos.after-payment');
  if (order.state === 'loaded') {
    await closeLoadedEntry(o.journal, order);
    return { order, transaction: null };
  }
  if (order.state === 'refunded') throw new PlatformError(`order '${o.idempotencyKey}' was refunded`, 409, 'CONFLICT');
  const pos = orderPos(o);
  try {
    const transaction = await pos.recharge(o.amount, o.timeoutMs);
    return { order: await o.client.read(orderPath(o.idempotencyKey), RechargeOrderSchema), transaction };
  } catch (e) {
    // This tap's recovery may just have proven the order's earlier load; the platform then refuses another.
    if (e instanceof PlatformError && e.code === 'CONFLICT') {
      const now = await o.client.read(orderPath(o.idempotencyKey), RechargeOrderSchema);
      if (now.state === 'loaded') return { order: now, transaction: null };
    }
    throw e;
  }
}

/**
 * The platform has confirmed this order's load (its TAC is in): a journal entry this POS still holds
 * for that load (it stopped between the platform's confirm and closing the entry) is done.
 */
async function closeLoadedEntry(journal: TransactionJournal | undefined, order: RechargeOrder): Promise<void> {
  if (journal === undefined || order.cardNumber === null) return;
  const p = await journal.pending(order.cardNumber);
  if (p !== null && p.kind === 'load' && p.counter === order.counter && p.amount === order.amount) await journal.settle(order.cardNumber);
}

/** Gives the payment back; the platform refuses while a card may hold the load. */
export function refundRecharge(client: PlatformClient, idempotencyKey: string): Promise<RechargeOrder> {
  return client.post<unknown>(`${orderPath(idempotencyKey)}/refund`, {}).then((answer) => parseWire(RechargeOrderSchema, answer));
}

export type RefundWithCardOptions = Omit<ThirdPartyRechargeOptions, 'accountId' | 'payerCode' | 'amount'>;

/**
 * Refunds an order whose load is authorised but unsettled (a POS or platform stopped before the
 * card did it), with the card it was authorised for in the field: its open journal entry is settled
 * first (GET TRANSACTION PROVE: if the card holds the load, the order is loaded and the refund is
 * refused, 409); otherwise a fresh INITIALIZE FOR LOAD proves the card's online counter never moved,
 * the platform releases the load, and the payment goes back. An order with no open load is simply
 * refunded (no card needed).
 */
export async function refundWithCard(o: RefundWithCardOptions): Promise<RechargeOrder> {
  const order = await o.client.read(orderPath(o.idempotencyKey), RechargeOrderSchema);
  if (order.state === 'loading') {
    const pos = orderPos(o);
    const proof = await pos.proveLoadCounter(order.amount, o.timeoutMs);
    const now = await o.client.read(orderPath(o.idempotencyKey), RechargeOrderSchema);
    if (now.state === 'loading') {
      await o.client.exchange('/v1/terminal/transit/load/release', LoadReleaseSchema, { ...proof.request, mac1: proof.mac1, orderId: o.idempotencyKey }, LoadReleasedSchema);
    }
  }
  return refundRecharge(o.client, o.idempotencyKey);
}
