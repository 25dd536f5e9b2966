/** Clock HAL: wall time for transaction logs and expiry checks, without platform globals in core. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}
