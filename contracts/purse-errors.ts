/**
 * The purse security module's refusals (purse-security-module.ts), shared by the issuer servers and
 * the POS that asks them: the POS maps them to exit codes, the terminal API to IssuerRefusal codes.
 */
import { swText } from '../firmware/src/core/sw';

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
