/**
 * The platform's end of the payment system's notifications (table `payment_notifications`): each
 * one is recorded; one the platform already holds (same payment, same content) is marked duplicate
 * and changes nothing, so a notification delivered twice, or again after a retried charge, is
 * harmless.
 */
import { createHash } from 'node:crypto';
import { audit } from '../db/audit';
import { nowIso, type PlatformDb } from '../db/database';
import type { PaymentNotification } from '../../../contracts/issuer-services';

export function receivePaymentNotification(db: PlatformDb, n: PaymentNotification): 'recorded' | 'duplicate' {
  const hash = createHash('sha256').update(JSON.stringify([n.paymentId, n.idempotencyKey, n.state, n.amount])).digest('hex');
  return db.transaction(() => {
    const seen = db.prepare('SELECT 1 FROM payment_notifications WHERE payment_id = ? AND payload_hash = ? AND duplicate = 0').get(n.paymentId, hash);
    db.prepare('INSERT INTO payment_notifications (payment_id, payload_hash, duplicate, received_at) VALUES (?, ?, ?, ?)').run(
      n.paymentId, hash, seen === undefined ? 0 : 1, nowIso(),
    );
    if (seen !== undefined) return 'duplicate' as const;
    audit(db, 'payment-system', `payment.${n.state}`, n.idempotencyKey, { paymentId: n.paymentId, amount: n.amount });
    return 'recorded' as const;
  })();
}
