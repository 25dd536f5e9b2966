/** Typed errors of the vpcd RF link, so callers (pos-sim, `tapcard gp`) can map them to exit codes. */

/**
 * Why the card is no longer usable:
 * - `absent`: no card in the field when the command was issued
 * - `closed`: the card's connection closed (card left the field)
 * - `zero-length`: the card answered with an empty frame, vpcd's removal signal (docs/vpcd-pcscd.md "vpcd protocol")
 * - `mute`: no answer within the response timeout; the reader drops the card like a real PCD would
 * - `reader-closed`: the reader itself was shut down
 */
export type CardRemovedReason = 'absent' | 'closed' | 'zero-length' | 'mute' | 'reader-closed';

export class CardRemovedError extends Error {
  readonly code = 'CARD_REMOVED';
  readonly reason: CardRemovedReason;

  constructor(reason: CardRemovedReason, detail?: string) {
    super(`card removed (${reason})${detail ? `: ${detail}` : ''}`);
    this.name = 'CardRemovedError';
    this.reason = reason;
  }
}

/** No card came into the field before the deadline (`VpcdReader.waitForCard`). */
export class NoCardError extends Error {
  readonly code = 'NO_CARD';

  constructor(timeoutMs: number) {
    super(`no card in the field within ${timeoutMs} ms`);
    this.name = 'NoCardError';
  }
}

/** The peer broke the vpcd protocol, or the caller asked for something the protocol cannot carry. */
export class VpcdProtocolError extends Error {
  readonly code = 'VPCD_PROTOCOL';

  constructor(message: string) {
    super(message);
    this.name = 'VpcdProtocolError';
  }
}
