/**
 * Money reconciliation across the whole platform: money is neither made nor lost between the
 * payment accounts, the bank accounts, the issuers' ledgers and the cards.
 *
 *   cards     each purse card (transit, bank e-cash): reconciliation.ts, confirmed loads minus
 *             purchases = the balance read from the card; each loyalty card: confirmed earns minus
 *             redeems = its points
 *   orders    each recharge order (payment system charge): refunded with no confirmed load, or paid
 *             with at most one confirmed load of its amount (none yet: open)
 *   accounts  each account opened with a recorded balance (audit `account.opened`):
 *             payment  balance = opening - its paid charges
 *             bank     balance = opening - its deposits held or confirmed on the bank's ledger
 *
 * Together: what left an account is on a card or open (a paid order not loaded yet, an authorised
 * deposit the card has not answered), and each card holds what its ledger settled. Open items are
 * listed, not mismatches: the next tap or the order's key settles them.
 */
import { listAudit } from '../db/audit';
import type { PlatformDb } from '../db/database';
import { DEPOSIT_ORDER_PREFIX } from '../issuers/bank-server';
import { ACCOUNT_OPENED, accountSubject, listAccounts, type AccountSystem } from '../issuers/accounts';
import { cardLedger, type LedgerIssuer } from '../issuers/ledger';
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
  /** The balance it was opened with, or null when no opening was recorded. */
  opening: number | null;
  /** opening - what left it for orders and deposits. */
  expected: number | null;
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
  for (const { issuer, card_number: cardNumber } of ledgerCards(s.db)) {
    const balance = cardBalances.get(cardNumber) ?? null;
    if (issuer === 'merchant') {
      cards.push(loyaltyCard(s.db, cardNumber, balance));
      continue;
    }
    const r = await reconcilePurseCard(s.db, issuer === 'transit' ? s.transit : s.bank, cardNumber, balance);
    cards.push({ issuer, cardNumber, settled: r.settledBalance, card: balance, open: r.open, mismatches: r.mismatches });
  }
  const orders = reconcileOrders(s.db);
  const accounts = reconcileAccounts(s.db);
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

function ledgerCards(db: PlatformDb): { issuer: LedgerIssuer; card_number: string }[] {
  return db.prepare('SELECT DISTINCT issuer, card_number FROM ledger ORDER BY issuer, card_number').all() as { issuer: LedgerIssuer; card_number: string }[];
}

/** Points: confirmed earns minus confirmed redeems (coupons move no points). */
function loyaltyCard(db: PlatformDb, cardNumber: string, points: number | null): CardMoney {
  let settled = 0;
  let open = 0;
  for (const row of cardLedger(db, 'merchant', cardNumber)) {
    if (row.state === 'authorised') open++;
    if (row.state !== 'confirmed') continue;
    if (row.kind === 'earn') settled += row.amount;
    if (row.kind === 'redeem') settled -= row.amount;
  }
  const mismatches = points !== null && points !== settled ? [`the card holds ${points} points, the ledger settles ${settled}`] : [];
  return { issuer: 'merchant', cardNumber, settled, card: points, open, mismatches };
}

function reconcileOrders(db: PlatformDb): OrderMoney[] {
  const payments = db.prepare(
    'SELECT p.idempotency_key AS key, p.account_id AS account, p.amount, p.state FROM payments p JOIN recharge_orders o ON o.idempotency_key = p.idempotency_key ORDER BY p.created_at',
  ).all() as { key: string; account: string; amount: number; state: string }[];
  return payments.map((p) => {
    const loads = db.prepare(`SELECT amount FROM ledger WHERE order_id = ? AND state = 'confirmed'`).all(p.key) as { amount: number }[];
    const mismatches: string[] = [];
    if (loads.length > 1) mismatches.push(`loaded ${loads.length} times, paid once`);
    if (p.state === 'refunded' && loads.length > 0) mismatches.push('refunded, and loaded onto a card');
    for (const l of loads) if (l.amount !== p.amount) mismatches.push(`paid ${p.amount}, loaded ${l.amount}`);
    return {
      idempotencyKey: p.key, accountId: p.account, amount: p.amount, payment: p.state, loads: loads.length,
      open: p.state === 'paid' && loads.length === 0, mismatches,
    };
  });
}

function reconcileAccounts(db: PlatformDb): AccountMoney[] {
  return listAccounts(db).map((a) => {
    const opened = listAudit(db, accountSubject(a.system, a.id)).find((e) => e.action === ACCOUNT_OPENED);
    const opening = typeof opened?.detail?.balance === 'number' ? opened.detail.balance : null;
    const out = a.system === 'payment'
      ? (db.prepare(`SELECT COALESCE(SUM(amount), 0) AS n FROM payments WHERE account_id = ? AND state = 'paid'`).get(a.id) as { n: number }).n
      : (db.prepare(`SELECT COALESCE(SUM(amount), 0) AS n FROM ledger WHERE issuer = 'bank' AND kind = 'load' AND order_id = ? AND state IN ('authorised', 'confirmed')`)
        .get(DEPOSIT_ORDER_PREFIX + a.id) as { n: number }).n;
    const expected = opening === null ? null : opening - out;
    const mismatches = expected !== null && expected !== a.balance ? [`holds ${a.balance}, opened with ${opening} less ${out} paid out: ${expected}`] : [];
    return { system: a.system, id: a.id, balance: a.balance, opening, expected, mismatches };
  });
}
