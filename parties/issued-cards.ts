/**
 * The cards each issuer issued (table `issued_cards`): a card number goes in when the issuer hands
 * out the package personalised with it, and a transaction for a card the issuer never issued is
 * refused as UNKNOWN_CARD. Each package's card number is kept under its download job too (table
 * `issued_packages`): the job id is the issuer interface's idempotency key (contracts/issuer.ts),
 * so a platform that asks again for the same job (it lost the answer: a kill -9 or a power cut
 * before its record of the package was on disk) gets the same card's package, and no second card
 * is issued.
 */
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { LedgerIssuer } from '../contracts/issuer-services';
import { nowIso, type PartiesDb } from './db';

export function recordIssuedCard(db: PartiesDb, issuer: LedgerIssuer, cardNumber: string): void {
  db.prepare('INSERT INTO issued_cards (issuer, card_number, issued_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(issuer, cardNumber, nowIso());
}

/** The card number the issuer gave the job's package, if it issued one. */
export function cardIssuedForJob(db: PartiesDb, issuer: LedgerIssuer, jobId: string): string | undefined {
  const row = db.prepare('SELECT card_number FROM issued_packages WHERE issuer = ? AND job_id = ?').get(issuer, jobId) as { card_number: string } | undefined;
  return row?.card_number;
}

/** Records the card and the job's package personalised with it, in one transaction. */
export function recordIssuedPackage(db: PartiesDb, issuer: LedgerIssuer, jobId: string, cardNumber: string): void {
  db.transaction(() => {
    recordIssuedCard(db, issuer, cardNumber);
    db.prepare('INSERT INTO issued_packages (issuer, job_id, card_number, issued_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(issuer, jobId, cardNumber, nowIso());
  })();
}

export function requireIssuedCard(db: PartiesDb, issuer: LedgerIssuer, cardNumber: string): void {
  const known = db.prepare('SELECT 1 FROM issued_cards WHERE issuer = ? AND card_number = ?').get(issuer, cardNumber) !== undefined;
  if (!known) throw new IssuerRefusal('UNKNOWN_CARD', `the ${issuer} issuer does not know card ${cardNumber}`);
}
