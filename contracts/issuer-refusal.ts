/**
 * Why an issuer server (transit, bank, merchant, third-party payment) refused a request. The
 * terminal API maps each code to one HTTP status (docs/terminal-api.md "Errors"); a refusal changes
 * no ledger, account or payment.
 */
export type IssuerRefusalCode =
  /** The request breaks the issuer's rules for it (a bank deposit without its account...): nothing read or changed. */
  | 'INVALID'
  /** The issuer never issued this card. */
  | 'UNKNOWN_CARD'
  /** No such recharge order / payment / account. */
  | 'NOT_FOUND'
  /** The issuer will not authorise it (key it does not hold, amount outside its rules...). */
  | 'DECLINED'
  /** The payer's account cannot cover the amount. */
  | 'INSUFFICIENT_FUNDS'
  /** A MAC from the card did not verify: not the card it claims to be. */
  | 'CARD_PROOF'
  /** The request contradicts the ledger (already settled, or an earlier transaction still open). */
  | 'CONFLICT'
  /** Not this caller's to do: another terminal's order, a charge without the payer's authorisation. */
  | 'FORBIDDEN';

export class IssuerRefusal extends Error {
  constructor(
    readonly code: IssuerRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'IssuerRefusal';
  }
}
