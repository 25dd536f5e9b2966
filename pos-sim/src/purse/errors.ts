/**
 * Typed outcomes of a POS transaction, so `tapcard pos` and the terminal flows map them to exit
 * codes and answers: the refusals the card or the security module give (PurseDeclinedError,
 * CardProofError) are contracts/purse-errors.ts. A card status word outside these
 * is contracts/card-errors.ts CardError; a card that left the field is host/vpcd/errors.ts CardRemovedError.
 */

/** The card in the field has no transit application (SELECT answered 6A82). */
export class NoTransitApplicationError extends Error {
  readonly code = 'NOT_FOUND';

  constructor(detail: string) {
    super(`no transit application on the card: ${detail}`);
    this.name = 'NoTransitApplicationError';
  }
}
