/** Exit codes shared by every tapcard subcommand, so scripts can tell failures apart. */
export const EXIT = Object.freeze({
  OK: 0,
  /** Generic failure (I/O, unexpected error). */
  FAILURE: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The card answered with an error status word. */
  CARD_ERROR: 3,
  /** No card/reader/peer found within the timeout. */
  NOT_FOUND: 4,
  /** The issuer or platform declined the transaction. */
  DECLINED: 5,
  /** The card left the field during a transaction. */
  CARD_REMOVED: 6,
  /** A required service (pcscd, broker) is not available. */
  UNAVAILABLE: 7,
  /** Stored data failed its integrity check (a corrupt flash image); nothing was changed. */
  CORRUPT: 8,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
