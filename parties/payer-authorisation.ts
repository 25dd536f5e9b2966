/**
 * The payer's consent to a charge: a payment code the account holder gives the till, as a payment
 * app shows one (18 digits, like the "payment codes" of Alipay or WeChat Pay). The account's own
 * system issues it (`tapcard platform payer-code`), for at most `maxAmount`, valid for a few minutes
 * and for one use. A terminal that charges an account, at the third-party payment system or at the
 * bank, must present one for that account; without it the charge is refused as FORBIDDEN.
 *
 * Only SHA-256 of a code is stored: 18 random digits (about 60 bits) are not guessable within a
 * code's lifetime, so no slow hash is needed. A code is consumed inside the charge's transaction,
 * together with what it paid for (`usedFor`): a retry of that same charge may present it again,
 * anything else may not.
 */
import { createHash, randomInt } from 'node:crypto';
import { nowIso, type PartiesDb } from './db';
import type { AccountSystem } from '../contracts/issuer-services';
import { getAccount } from './accounts';
import { IssuerRefusal } from '../contracts/issuer-refusal';
import { PAYER_CODE_DIGITS } from '../contracts/payer-code';

/** Default life of a payment code (a payment app refreshes its code every minute or so). */
export const PAYER_CODE_TTL_S = 300;

export interface PayerCode {
  code: string;
  system: AccountSystem;
  accountId: string;
  maxAmount: number;
  expiresAt: string;
}

function codeHash(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** A new payment code for the holder of account `accountId`, for charges up to `maxAmount` fen. */
export function issuePayerCode(db: PartiesDb, system: AccountSystem, accountId: string, maxAmount: number, ttlSeconds = PAYER_CODE_TTL_S): PayerCode {
  if (!Number.isInteger(maxAmount) || maxAmount <= 0) throw new RangeError(`maximum amount must be a positive number of fen, got ${maxAmount}`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`lifetime must be a positive number of seconds, got ${ttlSeconds}`);
  getAccount(db, system, accountId);
  let code = '';
  for (let i = 0; i < PAYER_CODE_DIGITS; i++) code += String(randomInt(10));
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
  db.prepare('INSERT INTO payer_authorisations (code_hash, system, account_id, max_amount, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    codeHash(code), system, accountId, maxAmount, nowIso(), expiresAt,
  );
  return { code, system, accountId, maxAmount, expiresAt };
}

/**
 * Consumes `code` for a charge of `amount` from the account, for `usedFor`; call it inside the
 * charge's transaction. FORBIDDEN when the code is unknown, for another account, expired, too small
 * or already used for something else. The refusal names no more than that.
 */
export function consumePayerCode(db: PartiesDb, system: AccountSystem, accountId: string, amount: number, code: string | undefined, usedFor: string): void {
  const forbidden = (why: string): never => {
    throw new IssuerRefusal('FORBIDDEN', `no payer authorisation for ${system} account '${accountId}': ${why}`);
  };
  getAccount(db, system, accountId); // an unknown account is NOT_FOUND, whatever the code
  if (code === undefined || code === '') forbidden('a payment code from the account holder is needed');
  const row = db.prepare('SELECT system, account_id, max_amount, expires_at, used_for FROM payer_authorisations WHERE code_hash = ?').get(codeHash(code as string)) as
    | { system: string; account_id: string; max_amount: number; expires_at: string; used_for: string | null }
    | undefined;
  if (row === undefined || row.system !== system || row.account_id !== accountId) forbidden('the payment code is not this account holder\'s');
  const r = row as NonNullable<typeof row>;
  if (r.used_for !== null) {
    if (r.used_for !== usedFor) forbidden('the payment code was used already');
    return;
  }
  if (Date.parse(r.expires_at) <= Date.now()) forbidden('the payment code has expired');
  if (amount > r.max_amount) forbidden(`the payment code allows up to ${r.max_amount}, the charge is ${amount}`);
  db.prepare('UPDATE payer_authorisations SET used_at = ?, used_for = ? WHERE code_hash = ?').run(nowIso(), usedFor, codeHash(code as string));
}
