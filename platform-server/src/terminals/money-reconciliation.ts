/**
 * Money reconciliation across the whole platform: money is neither made nor lost between the
 * payment accounts, the bank accounts, the issuers' ledgers and the cards.
 *
 *   cards     each purse card (transit, bank e-cash): reconciliation.ts, confirmed loads minus
 *             purchases = the balance read from the card; each loyalty card: confirmed earns minus
 *             redeems = its points
 *   orders    each recharge order (payment system charge): refunded with no confirmed load, or paid
 *             with at most one confirmed load of its amount (none yet: open)
 *   accounts  each account, as its system's books state it (opening balance, what left it):
 *             payment  balance = opening - its paid charges
 *             bank     balance = opening - its deposits held or confirmed on the bank's ledger
 *
 * Together: what left an account is on a card or open (a paid order not loaded yet, an authorised
 * deposit the card has not answered), and each card holds what its ledger settled. Open items are
 * listed, not mismatches: the next tap or the order's key settles them.
 */
import type { AccountSystem, LedgerIssuer, LedgerRow } from '../../../contracts/issuer-services';
import { orderKeys } from './recharge-orders';
import { reconcilePurseCard } from './reconciliation';
import type { TerminalServices } from './terminal-services';

export interface CardMoney {
  issuer: LedgerIssuer;
  cardNumber: string;
  /** Fen on a purse, points on a loyalty card. */
  settled: number;
  /** What the card holds, when the caller read it; else null. */
  card: number | null;
  open: number;
  mismatches: string[];
}

export interface OrderMoney {
  idempotencyKey: string;
  accountId: string;
  amount: number;
  payment: string;
  /** Confirmed loads of the order (0 or 1 when it reconciles). */
  loads: number;
  open: boolean;
  mismatches: string[];
}

export interface AccountMoney {
  system: AccountSystem;
  id: string;
  balance: number;
  /** The balance it was opened with. */
  opening: number;
  /** opening - what left it for orders and deposits. */
  expected: number;
  mismatches: string[];
}

export interface MoneyReconciliation {
  cards: CardMoney[];
  orders: OrderMoney[];
  accounts: AccountMoney[];
  open: number;
  mismatches: string[];
}

/** Reconciles every card on the ledgers, every order and every account; `cardBalances` maps card number to what the card holds. */
export async function reconcileMoney(s: TerminalServices, cardBalances: ReadonlyMap<string, number> = new Map()): Promise<MoneyReconciliation> {
  const cards: CardMoney[] = [];
  for (const { issuer, cardNumber } of ledgerCards(s)) {
    const balance = cardBalances.get(cardNumber) ?? null;
    if (issuer === 'merchant') {
      cards.push(loyaltyCard(s.merchant.ledger(cardNumber), cardNumber, balance));
      continue;
    }
    const r = await reconcilePurseCard(s.db, issuer === 'transit' ? s.transit : s.bank, cardNumber, balance);
    cards.push({ issuer, cardNumber, settled: r.settledBalance, card: balance, open: r.open, mismatches: r.mismatches });
  }
  const orders = reconcileOrders(s);
  const accounts = reconcileAccounts(s);
  const mismatches = [
    ...cards.flatMap((c) => c.mismatches.map((m) => `${c.issuer} card ${c.cardNumber}: ${m}`)),
    ...orders.flatMap((o) => o.mismatches.map((m) => `order ${o.idempotencyKey}: ${m}`)),
    ...accounts.flatMap((a) => a.mismatches.map((m) => `${a.system} account ${a.id}: ${m}`)),
  ];
  for (const [n, held] of cardBalances) {
    if (held !== 0 && !cards.some((c) => c.cardNumber === n)) mismatches.push(`card ${n}: holds ${held}, no ledger entry settles it`);
  }
  const open = cards.reduce((n, c) => n + c.open, 0) + orders.filter((o) => o.open).length;
  return { cards, orders, accounts, open, mismatches };
}

/** Every card on the issuers' ledgers, by issuer then card number. */
export function ledgerCards(s: TerminalServices): { issuer: LedgerIssuer; cardNumber: string }[] {
  return [s.bank, s.merchant, s.transit].flatMap((server) => server.ledgerCards().map((cardNumber) => ({ issuer: server.issuer, cardNumber })));
}

/** Points: confirmed earns minus confirmed redeems (coupons move no points). */
function loyaltyCard(rows: LedgerRow[], cardNumber: string, points: number | null): CardMoney {
  let settled = 0;
  let open = 0;
  for (const row of rows) {
    if (row.state === 'authorised') open++;
    if (row.state !== 'confirmed') continue;
    if (row.kind === 'earn') settled += row.amount;
    if (row.kind === 'redeem') settled -= row.amount;
  }
  const mismatches = points !== null && points !== settled ? [`the card holds ${points} points, the ledger settles ${settled}`] : [];
  return { issuer: 'merchant', cardNumber, settled, card: points, open, mismatches };
}

/** Each order the platform's terminals created that the payment system charged. */
function reconcileOrders(s: TerminalServices): OrderMoney[] {
  return orderKeys(s.db).flatMap((key) => {
    const p = s.payments.find(key);
    if (p === undefined) return [];
    const loads = s.transit.orderLedger(key).filter((r) => r.state === 'confirmed');
    const mismatches: string[] = [];
    if (loads.length > 1) mismatches.push(`loaded ${loads.length} times, paid once`);
    if (p.state === 'refunded' && loads.length > 0) mismatches.push('refunded, and loaded onto a card');
    for (const l of loads) if (l.amount !== p.amount) mismatches.push(`paid ${p.amount}, loaded ${l.amount}`);
    return [{
      idempotencyKey: key, accountId: p.accountId, amount: p.amount, payment: p.state, loads: loads.length,
      open: p.state === 'paid' && loads.length === 0, mismatches,
    }];
  });
}

function reconcileAccounts(s: TerminalServices): AccountMoney[] {
  return [...s.bank.accounts(), ...s.payments.accounts()].map((a) => {
    const expected = a.opening - a.paidOut;
    const mismatches = expected !== a.balance ? [`holds ${a.balance}, opened with ${a.opening} less ${a.paidOut} paid out: ${expected}`] : [];
    return { system: a.system, id: a.id, balance: a.balance, opening: a.opening, expected, mismatches };
  });
}
