/**
 * The third-party payment system, in process (second terminal):
 * payment accounts, charges with idempotency keys, refunds, and payment notifications to the
 * platform. Tables `accounts` (system 'payment') and `payments` of the parties' store.
 *
 * A charge with a key it has seen answers the first charge again (never a second debit); the same
 * key with another account or amount is CONFLICT. Every state change notifies the platform, and a
 * retried charge notifies again: the platform must take duplicate notifications calmly
 * (platform-server/src/terminals/payment-notifications.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { AccountStatement, ChargeRequest, Payment, PaymentNotification, PaymentService, PaymentState } from '../contracts/issuer-services';
import { creditAccount, debitAccount, listAccounts, openAccount, type Account } from './accounts';
import { nowIso, type PartiesDb } from './db';
import { consumePayerCode } from './payer-authorisation';

interface Row {
  id: string;
  idempotency_key: string;
  account_id: string;
  amount: number;
  currency: string;
  request_hash: string;
  state: PaymentState;
  created_at: string;
  updated_at: string;
}

function fromRow(r: Row): Payment {
  return {
    id: r.id, idempotencyKey: r.idempotency_key, accountId: r.account_id, amount: r.amount, currency: r.currency, state: r.state,
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

function requestHash(req: Pick<ChargeRequest, 'accountId' | 'amount'>): string {
  return createHash('sha256').update(JSON.stringify([req.accountId, req.amount])).digest('hex');
}

export class PaymentSystem implements PaymentService {
  private readonly listeners: ((n: PaymentNotification) => void)[] = [];

  constructor(private readonly db: PartiesDb) {}

  /** Registers the platform's notification endpoint (in process: a function). */
  onNotification(listener: (n: PaymentNotification) => void): void {
    this.listeners.push(listener);
  }

  openAccount(id: string, owner: string, balance: number): Account {
    return openAccount(this.db, 'payment', id, owner, balance);
  }

  /**
   * Debits the account once per idempotency key, with the account holder's payment code;
   * FORBIDDEN / INSUFFICIENT_FUNDS / NOT_FOUND leave no trace.
   */
  charge(req: ChargeRequest): { payment: Payment; replayed: boolean } {
    if (!Number.isInteger(req.amount) || req.amount <= 0) throw new IssuerRefusal('DECLINED', `amount must be a positive number of fen, got ${req.amount}`);
    const hash = requestHash(req);
    const result = this.db.transaction(() => {
      const seen = this.row(req.idempotencyKey);
      if (seen !== undefined) {
        if (seen.request_hash !== hash) throw new IssuerRefusal('CONFLICT', `idempotency key '${req.idempotencyKey}' was used for another charge`);
        return { payment: fromRow(seen), replayed: true };
      }
      consumePayerCode(this.db, 'payment', req.accountId, req.amount, req.payerCode, req.idempotencyKey);
      debitAccount(this.db, 'payment', req.accountId, req.amount);
      const now = nowIso();
      const id = `pay_${randomUUID()}`;
      this.db.prepare(
        `INSERT INTO payments (id, idempotency_key, account_id, amount, request_hash, state, response, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'paid', NULL, ?, ?)`,
      ).run(id, req.idempotencyKey, req.accountId, req.amount, hash, now, now);
      return { payment: fromRow(this.row(req.idempotencyKey) as Row), replayed: false };
    })();
    this.notify(result.payment);
    return result;
  }

  /** Gives a paid charge back to its account; refunding a refunded one answers it again. */
  refund(idempotencyKey: string): Payment {
    const payment = this.db.transaction(() => {
      const row = this.row(idempotencyKey);
      if (row === undefined) throw new IssuerRefusal('NOT_FOUND', `no payment with idempotency key '${idempotencyKey}'`);
      if (row.state === 'paid') {
        creditAccount(this.db, 'payment', row.account_id, row.amount);
        this.db.prepare(`UPDATE payments SET state = 'refunded', updated_at = ? WHERE id = ?`).run(nowIso(), row.id);
      }
      return fromRow(this.row(idempotencyKey) as Row);
    })();
    this.notify(payment);
    return payment;
  }

  /** The payment accounts; what left each is its paid charges. */
  accounts(): AccountStatement[] {
    return listAccounts(this.db, 'payment').map((a) => ({
      ...a,
      paidOut: (this.db.prepare(`SELECT COALESCE(SUM(amount), 0) AS n FROM payments WHERE account_id = ? AND state = 'paid'`).get(a.id) as { n: number }).n,
    }));
  }

  find(idempotencyKey: string): Payment | undefined {
    const r = this.row(idempotencyKey);
    return r === undefined ? undefined : fromRow(r);
  }

  private row(idempotencyKey: string): Row | undefined {
    return this.db.prepare('SELECT * FROM payments WHERE idempotency_key = ?').get(idempotencyKey) as Row | undefined;
  }

  private notify(p: Payment): void {
    const n: PaymentNotification = { paymentId: p.id, idempotencyKey: p.idempotencyKey, state: p.state, amount: p.amount };
    for (const l of this.listeners) l(n);
  }
}
