/**
 * What the platform asks of the outside parties behind its terminal API: the transit company's and
 * the bank's purse servers, the merchant's loyalty server and the third-party payment system. The
 * simulated parties (parties/) implement these in process; the platform reaches them only through
 * these interfaces (and the issuer interface, issuer.ts), so a real party's client can take their
 * place. Refusals are IssuerRefusal (issuer-refusal.ts).
 */
import type { IssuerAdapter } from './issuer';
import type { LoyaltyOperation } from './loyalty-messages';
import type { LoadRequest, PurchaseProof, PurchaseRequest } from './purse-security-module';
import type { RechargeOrder } from './recharge-order-messages';

export type LedgerIssuer = 'transit' | 'bank' | 'merchant';
export type LedgerState = 'authorised' | 'confirmed' | 'reversed';

/** One card transaction on an issuer's settlement ledger, keyed by issuer, card and card counter. */
export interface LedgerRow {
  id: number;
  issuer: LedgerIssuer;
  cardNumber: string;
  kind: string;
  amount: number;
  balanceBefore: number | null;
  balanceAfter: number | null;
  counter: number;
  terminalId: string;
  orderId: string | null;
  /** The authorisation's MAC as the issuer made it (purse MAC2 of a load, merchant MAC), hex. */
  mac: string | null;
  /** The card's TAC (purse) or receipt (loyalty), hex, once confirmed. */
  tac: string | null;
  state: LedgerState;
  createdAt: string;
  updatedAt: string;
}

/**
 * How a load is paid: in cash (nothing), by a paid recharge order (transit, `orderId`), or from a
 * bank account with its holder's payment code (bank, `accountId` and `payerCode`).
 */
export interface LoadPayment {
  orderId?: string;
  accountId?: string;
  payerCode?: string;
}

/** The transit company's and the bank's purse server. */
export interface PurseIssuerService extends IssuerAdapter {
  readonly issuer: 'transit' | 'bank';
  /** UNKNOWN_CARD unless this issuer issued the card. */
  requireCard(cardNumber: string): void;
  /** Purchase MAC1 for DEBIT FOR PURCHASE; the ledger holds the purchase as authorised. */
  authorisePurchase(tx: PurchaseRequest): Promise<Uint8Array>;
  /** The confirmed ledger row when the card's MAC2 and TAC verify (again: the same row), else null. */
  confirmPurchase(tx: PurchaseRequest, proof: PurchaseProof): Promise<LedgerRow | null>;
  /** Checks load MAC1 (CARD_PROOF when wrong) and the payment, makes MAC2; the ledger holds the load as authorised. */
  authoriseLoad(tx: LoadRequest, mac1: Uint8Array, payment: LoadPayment): Promise<Uint8Array>;
  /** The confirmed ledger row when the card's load TAC verifies (again: the same row), else null. */
  confirmLoad(tx: LoadRequest, tac: Uint8Array): Promise<LedgerRow | null>;
  /** Releases the load open at the card's online counter, which a fresh MAC1 there proves never happened; null when none is open. */
  releaseLoad(tx: LoadRequest, mac1: Uint8Array, orderId: string | null): Promise<LedgerRow | null>;
  /** True when this purchase's MAC2/TAC (or this load's TAC) are the card's. */
  proofValid(kind: 'purchase', tx: PurchaseRequest, proof: PurchaseProof): Promise<boolean>;
  proofValid(kind: 'load', tx: LoadRequest, proof: { tac: Uint8Array }): Promise<boolean>;
  /** A card's rows by counter. */
  ledger(cardNumber: string): LedgerRow[];
  /** The card numbers on this issuer's ledger. */
  ledgerCards(): string[];
}

export interface TransitService extends PurseIssuerService {
  readonly issuer: 'transit';
  /** The order paid with this idempotency key at the payment system; NOT_FOUND when none is. */
  rechargeOrder(key: string): RechargeOrder;
  /** Gives the order's payment back; CONFLICT while a load of it is loaded or unsettled. */
  refundOrder(key: string): RechargeOrder;
  /** The ledger rows of the loads order `key` paid for. */
  orderLedger(key: string): LedgerRow[];
}

export type AccountSystem = 'payment' | 'bank';

/** An account as its system's books show it, in minor units (fen). */
export interface AccountStatement {
  system: AccountSystem;
  id: string;
  owner: string;
  balance: number;
  currency: string;
  /** The balance it was opened with. */
  opening: number;
  /** What left it: paid charges (payment system), deposits held or confirmed (bank). */
  paidOut: number;
}

export interface BankService extends PurseIssuerService {
  readonly issuer: 'bank';
  accounts(): AccountStatement[];
}

/** One change a merchant terminal asks for, with what GET POINTS answered just before. */
export interface LoyaltyRequest {
  /** 20 digits. */
  cardNumber: string;
  operation: LoyaltyOperation;
  /** Points (earn, redeem) or coupon id (coupon-add, coupon-use). */
  value: number;
  /** The card's counter and points from GET POINTS. */
  counter: number;
  points: number;
  terminalId: Uint8Array;
  /** 7 bytes BCD YYYYMMDDhhmmss. */
  dateTime: Uint8Array;
}

/** An authorisation request: an earn names the purchase (the merchant decides the points), the others their value. */
export type LoyaltyAuthorisation = Omit<LoyaltyRequest, 'value'> & { value?: number; purchaseAmount?: number };

/** What the card answered: points and counter after the change, and its receipt. */
export interface LoyaltyReceipt {
  points: number;
  counter: number;
  receipt: Uint8Array;
}

export interface MerchantService extends IssuerAdapter {
  readonly issuer: 'merchant';
  requireCard(cardNumber: string): void;
  /** The value decided (an earn's points) and the MAC for it at the card's counter; the ledger holds it as authorised. */
  authorise(req: LoyaltyAuthorisation): { value: number; mac: Uint8Array };
  /** The confirmed ledger row when the card's receipt is genuine (again: the same row), else null. */
  confirm(req: LoyaltyRequest, answer: LoyaltyReceipt): LedgerRow | null;
  /** Confirms the open authorisations below the card's counter; returns them. */
  settle(cardNumber: string, cardCounter: number): LedgerRow[];
  ledger(cardNumber: string): LedgerRow[];
  ledgerCards(): string[];
}

export type PaymentState = 'paid' | 'refunded';

export interface Payment {
  id: string;
  idempotencyKey: string;
  accountId: string;
  amount: number;
  currency: string;
  state: PaymentState;
  createdAt: string;
  updatedAt: string;
}

export interface ChargeRequest {
  idempotencyKey: string;
  accountId: string;
  amount: number;
  /** The account holder's payment code; a replay of a charge needs none. */
  payerCode?: string;
}

/** What the payment system tells the platform after a state change. */
export interface PaymentNotification {
  paymentId: string;
  idempotencyKey: string;
  state: PaymentState;
  amount: number;
}

export interface PaymentService {
  /** Debits the account once per idempotency key; a replay answers the first charge. */
  charge(req: ChargeRequest): { payment: Payment; replayed: boolean };
  find(idempotencyKey: string): Payment | undefined;
  accounts(): AccountStatement[];
}

/** The four parties the terminal API forwards to. */
export interface IssuerServices {
  transit: TransitService;
  bank: BankService;
  merchant: MerchantService;
  payments: PaymentService;
}
