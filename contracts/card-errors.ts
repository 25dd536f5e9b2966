/**
 * Typed errors of a card's answers as every reader-side party sees them (the GP host, the POS, the
 * platform), so each maps them to exit codes and messages: a card status word, a secure channel
 * failure, a bad load file.
 */
import { swText } from '../firmware/src/core/sw';
import { scp03ErrorName, scp03ErrorText } from '../firmware/src/core/gp/scp03-errors';

/** The card answered a command with a status word the caller does not accept. */
export class CardError extends Error {
  readonly code = 'CARD_ERROR';
  readonly sw: number;
  /** The command that failed, e.g. 'INSTALL [for load]'. */
  readonly command: string;

  constructor(command: string, sw: number) {
    super(`${command} failed: ${swText(sw)}`);
    this.name = 'CardError';
    this.command = command;
    this.sw = sw;
  }
}

/** The card answered 9000 but with data the protocol does not allow (malformed TLV, wrong KCVs). */
export class CardResponseError extends Error {
  readonly code = 'BAD_RESPONSE';

  constructor(message: string) {
    super(message);
    this.name = 'CardResponseError';
  }
}

/**
 * The SCP03 session failed: wrong keys (card cryptogram), a forged or broken response (R-MAC,
 * R-ENC), an unsupported option, or the card refused a handshake step (sw set).
 */
export class SecureChannelError extends Error {
  readonly code = 'SECURE_CHANNEL';
  /** The SCP03_ERROR name, e.g. 'CARD_CRYPTOGRAM'. */
  readonly reason: string;
  /** The card's status word when the card refused a step; 0 otherwise. */
  readonly sw: number;

  constructor(step: string, result: number, sw: number) {
    super(`${step}: ${scp03ErrorText(result)}${sw !== 0 ? ` (${swText(sw)})` : ''}`);
    this.name = 'SecureChannelError';
    this.reason = scp03ErrorName(result);
    this.sw = sw;
  }
}

/** The load file or the install parameters are unusable (not a load file, AID missing or too long...). */
export class LoadFileError extends Error {
  readonly code = 'LOAD_FILE';

  constructor(message: string) {
    super(message);
    this.name = 'LoadFileError';
  }
}

/** An argument the command cannot carry (AID not 5..16 bytes, key or KVN out of range). */
export class GpArgumentError extends Error {
  readonly code = 'BAD_ARGUMENT';

  constructor(message: string) {
    super(message);
    this.name = 'GpArgumentError';
  }
}
