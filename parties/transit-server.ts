/**
 * The transit company's server, in process: it issues transit purse packages (transit-issuer.ts,
 * same master keys), runs the load/purchase security module with its settlement ledger
 * (purse-issuer-server.ts), and takes recharges paid through the third-party payment system:
 * recharge orders (ARCHITECTURE.md flow 4). The terminals reach it only through the platform's
 * terminal API; it never hands out a key. Development master keys unless given.
 *
 * A recharge order is one idempotency key from the payment to the card: the charge's key at the
 * payment system, and the order id on the ledger's load row.
 *
 *   1. the payment FIRST, at the payment system (a retry with the same key is the same charge)
 *   2. a load with orderId = the key: allowed only while the order is paid and no load of it is
 *      confirmed (checked inside the ledger's transaction)
 *   3. the card's TAC confirms the load: the order is loaded
 *
 * If the card leaves after the payment, the order stays paid: the next tap settles the open load
 * with GET TRANSACTION PROVE (it happened: loaded) or loads it then; or the order is refunded,
 * which is refused while a load of it may have reached a card.
 */
import { devTransitMasterKeys } from '../firmware/src/core/package/dev-keys';
import type { ApplicationInfo, IssuedPackage, PackageRequest } from '../contracts/issuer';
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { LedgerRow, LoadPayment, TransitService } from '../contracts/issuer-services';
import type { OrderState, RechargeOrder } from '../contracts/recharge-order-messages';
import type { LoadRequest } from '../contracts/purse-security-module';
import type { PartiesDb } from './db';
import { orderLedger } from './ledger';
import type { PaymentSystem } from './payment-system';
import { cardDigits, PurseIssuerServer, type LoadFunding, type PurseServerOptions } from './purse-issuer-server';
import { TransitIssuer } from './transit-issuer';

export type TransitServerOptions = PurseServerOptions;

export class TransitServer extends PurseIssuerServer implements TransitService {
  readonly issuer = 'transit' as const;
  private readonly packages: TransitIssuer;

  constructor(
    db: PartiesDb,
    private readonly payments: PaymentSystem,
    options: TransitServerOptions = {},
  ) {
    const masterKeys = options.masterKeys ?? devTransitMasterKeys();
    super(db, masterKeys, options.pboc);
    this.packages = new TransitIssuer({ masterKeys, nextCardNumber: options.nextCardNumber, pboc: options.pboc });
  }

  applications(): ApplicationInfo[] {
    return this.packages.applications();
  }

  protected cardPackage(req: PackageRequest, cardNumber: string | undefined): Promise<IssuedPackage> {
    return this.packages.issuePackage(req, cardNumber);
  }

  /** Cash (nothing named) or a paid recharge order; a transit load is never paid from an account. */
  protected loadFunding(tx: LoadRequest, payment: LoadPayment): LoadFunding {
    if (payment.accountId !== undefined || payment.payerCode !== undefined) {
      throw new IssuerRefusal('INVALID', 'accountId: a transit load is paid in cash (first terminal) or by orderId (second terminal)');
    }
    const orderId = payment.orderId;
    if (orderId === undefined) return { orderId: null };
    return { orderId, hold: () => this.orderMayPay(orderId, cardDigits(tx.cardNumber), tx.onlineCounter, tx.amount) };
  }

  rechargeOrder(key: string): RechargeOrder {
    const p = this.payments.find(key);
    if (p === undefined) throw new IssuerRefusal('NOT_FOUND', `no recharge order '${key}'`);
    const rows = orderLedger(this.db, key);
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

  refundOrder(key: string): RechargeOrder {
    const order = this.rechargeOrder(key);
    if (order.state === 'loaded') throw new IssuerRefusal('CONFLICT', `order '${key}' is loaded onto card ${order.cardNumber}: nothing to refund`);
    if (order.state === 'loading') {
      throw new IssuerRefusal('CONFLICT', `order '${key}' has an unsettled load on card ${order.cardNumber}: tap that card to settle it before a refund`);
    }
    this.payments.refund(key);
    return this.rechargeOrder(key);
  }

  orderLedger(key: string): LedgerRow[] {
    return orderLedger(this.db, key);
  }

  /**
   * May order `key` pay for a load of `amount` on the card at its online counter? A load of it
   * authorised at that same card and counter may be taken over (it never happened: the counter did not move).
   */
  private orderMayPay(key: string, cardNumber: string, counter: number, amount: number): void {
    const order = this.rechargeOrder(key);
    if (order.state === 'refunded') throw new IssuerRefusal('CONFLICT', `order '${key}' was refunded`);
    if (order.state === 'loaded') throw new IssuerRefusal('CONFLICT', `order '${key}' is already loaded onto card ${order.cardNumber} (TAC ${order.tac})`);
    if (order.amount !== amount) throw new IssuerRefusal('DECLINED', `order '${key}' paid ${order.amount}, the load asks ${amount}`);
    if (order.state === 'loading' && (order.cardNumber !== cardNumber || order.counter !== counter)) {
      throw new IssuerRefusal('CONFLICT', `order '${key}' has an unsettled load on card ${order.cardNumber} at counter ${order.counter}: tap that card to settle it`);
    }
  }
}
