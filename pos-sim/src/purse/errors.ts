/**
 * Typed outcomes of a POS transaction, so `tapcard pos` and the terminal flows map them to exit
 * codes and answers. A card status word outside these is host/gp/errors.ts CardError; a card that
 * left the field is host/vpcd/errors.ts CardRemovedError.
 */
import { swText } from '../../../firmware/src/core/sw';

/** The transaction was refused with no money moved: the card (9401 insufficient balance) or the security module said no. */
export class PurseDeclinedError extends Error {
  readonly code = 'DECLINED';
  /** The card's status word, or 0 when the security module declined. */
  readonly sw: number;

  constructor(reason: string, sw = 0) {
    super(`declined: ${reason}${sw !== 0 ? ` (${swText(sw)})` : ''}`);
    this.name = 'PurseDeclinedError';
    this.sw = sw;
  }
}

/** A MAC or TAC from the card did not verify: the card is not genuine, or the answer was tampered with. */
export class CardProofError extends Error {
  readonly code = 'CARD_PROOF';

  constructor(what: string) {
    super(`${what} from the card does not verify`);
    this.name = 'CardProofError';
  }
}

/** The card in the field has no transit application (SELECT answered 6A82). */
export class NoTransitApplicationError extends Error {
  readonly code = 'NOT_FOUND';

  constructor(detail: string) {
    super(`no transit application on the card: ${detail}`);
    this.name = 'NoTransitApplicationError';
  }
}
