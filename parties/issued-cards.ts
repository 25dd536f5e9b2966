/**
 * The cards each issuer issued (table `issued_cards`): a card number goes in when the issuer hands
 * out the package personalised with it, and a transaction for a card the issuer never issued is
 * refused as UNKNOWN_CARD.
 */
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { LedgerIssuer } from '../contracts/issuer-services';
import { nowIso, type PartiesDb } from './db';

export function recordIssuedCard(db: PartiesDb, issuer: LedgerIssuer, cardNumber: string): void {
  db.prepare('INSERT INTO issued_cards (issuer, card_number, issued_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(issuer, cardNumber, nowIso());
}

export function requireIssuedCard(db: PartiesDb, issuer: LedgerIssuer, cardNumber: string): void {
  const known = db.prepare('SELECT 1 FROM issued_cards WHERE issuer = ? AND card_number = ?').get(issuer, cardNumber) !== undefined;
  if (!known) throw new IssuerRefusal('UNKNOWN_CARD', `the ${issuer} issuer does not know card ${cardNumber}`);
}
