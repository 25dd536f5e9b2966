/**
 * Money accounts (table `accounts`) at the bank and at the third-party payment system, in minor
 * units (fen). A debit never takes a balance below zero (the table's CHECK backs this up).
 */
import { audit } from '../db/audit';
import { nowIso, type PlatformDb } from '../db/database';
import { IssuerRefusal } from './errors';

export type AccountSystem = 'payment' | 'bank';

export interface Account {
  id: string;
  system: AccountSystem;
  owner: string;
  balance: number;
  currency: string;
}

/** The audit action that records an account's opening balance, which money reconciliation starts from. */
export const ACCOUNT_OPENED = 'account.opened';

export function accountSubject(system: AccountSystem, id: string): string {
  return `${system}:${id}`;
}

export function openAccount(db: PlatformDb, system: AccountSystem, id: string, owner: string, balance: number): Account {
  if (!Number.isInteger(balance) || balance < 0) throw new RangeError(`opening balance must be a whole number of fen >= 0, got ${balance}`);
  db.transaction(() => {
    db.prepare('INSERT INTO accounts (id, system, owner, balance, created_at) VALUES (?, ?, ?, ?, ?)').run(id, system, owner, balance, nowIso());
    audit(db, system, ACCOUNT_OPENED, accountSubject(system, id), { balance });
  })();
  return getAccount(db, system, id);
}

export function listAccounts(db: PlatformDb): Account[] {
  return db.prepare('SELECT id, system, owner, balance, currency FROM accounts ORDER BY system, id').all() as Account[];
}

export function findAccount(db: PlatformDb, system: AccountSystem, id: string): Account | undefined {
  return db.prepare('SELECT id, system, owner, balance, currency FROM accounts WHERE id = ? AND system = ?').get(id, system) as Account | undefined;
}

export function getAccount(db: PlatformDb, system: AccountSystem, id: string): Account {
  const a = findAccount(db, system, id);
  if (a === undefined) throw new IssuerRefusal('NOT_FOUND', `no ${system} account '${id}'`);
  return a;
}

/** Takes amount from the account; NOT_FOUND or INSUFFICIENT_FUNDS with nothing changed. */
export function debitAccount(db: PlatformDb, system: AccountSystem, id: string, amount: number): void {
  const account = getAccount(db, system, id);
  if (account.balance < amount) throw new IssuerRefusal('INSUFFICIENT_FUNDS', `${system} account '${id}' holds ${account.balance}, needs ${amount}`);
  db.prepare('UPDATE accounts SET balance = balance - ? WHERE id = ? AND system = ?').run(amount, id, system);
}

export function creditAccount(db: PlatformDb, system: AccountSystem, id: string, amount: number): void {
  getAccount(db, system, id);
  db.prepare('UPDATE accounts SET balance = balance + ? WHERE id = ? AND system = ?').run(amount, id, system);
}
