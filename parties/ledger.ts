/**
 * The card issuers' settlement ledger (table `ledger`, migrations.ts): one row per card transaction,
 * keyed by issuer, card number and the card counter the transaction used (the purse's online
 * counter for a load, its offline counter for a purchase; the loyalty card's counter), holding the
 * card's TAC (purse) or receipt (loyalty) once the transaction is confirmed.
 *
 *   authorised  the issuer made the MAC that lets the card do it; the card's answer is not in yet
 *   confirmed   the card's TAC / receipt verified: it happened, exactly once
 *   reversed    the card proved its counter never moved past it (purse loads: a fresh INITIALIZE FOR
 *               LOAD's MAC1 at that counter), so it never happened; released before a refund
 *
 * A counter is used by one transaction only: the card moves it when (and only when) a transaction
 * commits. So a new authorisation at a counter that has an `authorised` row proves that row's
 * transaction never reached the card: the row is taken over (its history stays in the audit log)
 * and the caller is told, so it can release what that row held (a bank account debit).
 */
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { LedgerIssuer, LedgerRow, LedgerState } from '../contracts/issuer-services';
import { nowIso, type PartiesDb } from './db';

/** What an authorisation writes: a ledger row before it has an id, a TAC or a state. */
export type LedgerAuthorisation = Omit<LedgerRow, 'id' | 'tac' | 'state' | 'createdAt' | 'updatedAt'>;

interface Row {
  id: number;
  issuer: LedgerIssuer;
  card_number: string;
  kind: string;
  amount: number;
  balance_before: number | null;
  balance_after: number | null;
  card_txn_no: number;
  terminal_id: string;
  order_id: string | null;
  mac2: string | null;
  tac: string | null;
  state: LedgerState;
  created_at: string;
  updated_at: string;
}

function fromRow(r: Row): LedgerRow {
  return {
    id: r.id, issuer: r.issuer, cardNumber: r.card_number, kind: r.kind, amount: r.amount, balanceBefore: r.balance_before,
    balanceAfter: r.balance_after, counter: r.card_txn_no, terminalId: r.terminal_id, orderId: r.order_id, mac: r.mac2, tac: r.tac,
    state: r.state, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/**
 * The row at (issuer, card, counter) among `kinds` (kinds that share one counter), or undefined.
 * Purse loads and purchases have counters of their own; a loyalty card's operations share one.
 */
export function findAtCounter(db: PartiesDb, issuer: LedgerIssuer, cardNumber: string, kinds: readonly string[], counter: number): LedgerRow | undefined {
  const marks = kinds.map(() => '?').join(', ');
  const r = db
    .prepare(`SELECT * FROM ledger WHERE issuer = ? AND card_number = ? AND card_txn_no = ? AND kind IN (${marks})`)
    .get(issuer, cardNumber, counter, ...kinds) as Row | undefined;
  return r === undefined ? undefined : fromRow(r);
}

/**
 * Records an authorisation; returns the earlier `authorised` row it takes over (that transaction
 * never happened), or null. A confirmed row at that counter means the card reports a counter it
 * already used: CONFLICT, nothing written. Call inside the caller's transaction.
 */
export function authorise(db: PartiesDb, a: LedgerAuthorisation, counterKinds: readonly string[]): LedgerRow | null {
  const existing = findAtCounter(db, a.issuer, a.cardNumber, counterKinds, a.counter);
  if (existing !== undefined && existing.state === 'confirmed') {
    throw new IssuerRefusal('CONFLICT', `card ${a.cardNumber}: counter ${a.counter} already settled a ${existing.kind}`);
  }
  const now = nowIso();
  if (existing === undefined) {
    db.prepare(
      `INSERT INTO ledger (issuer, card_number, kind, amount, balance_before, balance_after, card_txn_no, terminal_id, order_id, mac2, tac, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'authorised', ?, ?)`,
    ).run(a.issuer, a.cardNumber, a.kind, a.amount, a.balanceBefore, a.balanceAfter, a.counter, a.terminalId, a.orderId, a.mac, now, now);
    return null;
  }
  db.prepare(
    `UPDATE ledger SET kind = ?, amount = ?, balance_before = ?, balance_after = ?, terminal_id = ?, order_id = ?, mac2 = ?, tac = NULL,
       state = 'authorised', created_at = ?, updated_at = ? WHERE id = ?`,
  ).run(a.kind, a.amount, a.balanceBefore, a.balanceAfter, a.terminalId, a.orderId, a.mac, now, now, existing.id);
  return existing.state === 'authorised' ? existing : null;
}

/** Marks the row confirmed with the card's TAC / receipt (and the balance after, when now known). Idempotent. */
export function confirm(db: PartiesDb, id: number, tac: string, balanceAfter: number | null): LedgerRow {
  db.prepare(`UPDATE ledger SET state = 'confirmed', tac = ?, balance_after = COALESCE(?, balance_after), updated_at = ? WHERE id = ?`).run(
    tac, balanceAfter, nowIso(), id,
  );
  return ledgerRow(db, id);
}

/** Marks an authorised row reversed: its transaction never happened (the caller holds the card's proof). */
export function reverse(db: PartiesDb, id: number): LedgerRow {
  db.prepare(`UPDATE ledger SET state = 'reversed', updated_at = ? WHERE id = ? AND state = 'authorised'`).run(nowIso(), id);
  return ledgerRow(db, id);
}

export function ledgerRow(db: PartiesDb, id: number): LedgerRow {
  return fromRow(db.prepare('SELECT * FROM ledger WHERE id = ?').get(id) as Row);
}

/** A card's rows by counter (a purse's loads and purchases each count on their own). */
export function cardLedger(db: PartiesDb, issuer: LedgerIssuer, cardNumber: string): LedgerRow[] {
  return (db.prepare('SELECT * FROM ledger WHERE issuer = ? AND card_number = ? ORDER BY card_txn_no, kind').all(issuer, cardNumber) as Row[]).map(fromRow);
}

export function orderLedger(db: PartiesDb, orderId: string): LedgerRow[] {
  return (db.prepare('SELECT * FROM ledger WHERE order_id = ? ORDER BY id').all(orderId) as Row[]).map(fromRow);
}

/** The card numbers on `issuer`'s ledger. */
export function ledgerCards(db: PartiesDb, issuer: LedgerIssuer): string[] {
  return (db.prepare('SELECT DISTINCT card_number FROM ledger WHERE issuer = ? ORDER BY card_number').all(issuer) as { card_number: string }[]).map((r) => r.card_number);
}
