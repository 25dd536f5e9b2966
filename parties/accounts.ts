/**
 * Money accounts (table `accounts`) at the bank and at the third-party payment system, in minor
 * units (fen), each with the balance it was opened with (money reconciliation starts from it). A
 * debit never takes a balance below zero (the table's CHECK backs this up).
 */
import type { AccountSystem } from '../contracts/issuer-services';
import { IssuerRefusal } from '../contracts/issuer-refusal';
import { nowIso, type PartiesDb } from './db';

export interface Account {
  id: string;
  system: AccountSystem;
  owner: string;
  balance: number;
  currency: string;
  opening: number;
}

const COLUMNS = 'id, system, owner, balance, currency, opening_balance AS opening';

export function openAccount(db: PartiesDb, system: AccountSystem, id: string, owner: string, balance: number): Account {
  if (!Number.isInteger(balance) || balance < 0) throw new RangeError(`opening balance must be a whole number of fen >= 0, got ${balance}`);
  db.prepare('INSERT INTO accounts (id, system, owner, balance, opening_balance, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, system, owner, balance, balance, nowIso());
  return getAccount(db, system, id);
}

export function listAccounts(db: PartiesDb, system: AccountSystem): Account[] {
  return db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE system = ? ORDER BY id`).all(system) as Account[];
}

export function findAccount(db: PartiesDb, system: AccountSystem, id: string): Account | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE id = ? AND system = ?`).get(id, system) as Account | undefined;
}

export function getAccount(db: PartiesDb, system: AccountSystem, id: string): Account {
  const a = findAccount(db, system, id);
  if (a === undefined) throw new IssuerRefusal('NOT_FOUND', `no ${system} account '${id}'`);
  return a;
}

/** Takes amount from the account; NOT_FOUND or INSUFFICIENT_FUNDS with nothing changed. */
export function debitAccount(db: PartiesDb, system: AccountSystem, id: string, amount: number): void {
  const account = getAccount(db, system, id);
  if (account.balance < amount) throw new IssuerRefusal('INSUFFICIENT_FUNDS', `${system} account '${id}' holds ${account.balance}, needs ${amount}`);
  db.prepare('UPDATE accounts SET balance = balance - ? WHERE id = ? AND system = ?').run(amount, id, system);
}

export function creditAccount(db: PartiesDb, system: AccountSystem, id: string, amount: number): void {
  getAccount(db, system, id);
  db.prepare('UPDATE accounts SET balance = balance + ? WHERE id = ? AND system = ?').run(amount, id, system);
}
