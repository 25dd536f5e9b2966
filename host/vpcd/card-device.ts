/**
 * What the card side of the RF link exposes to a reader: the emulated card (the SE core, or a test
 * card). Synchronous, because the SE core is synchronous; the vpcd client does the I/O around it.
 */
export interface CardDevice {
  /** The field comes up (vpcd control 01): cold reset. Returns the ATR. */
  powerOn(): Uint8Array;
  /** The field goes down (vpcd control 00). Not a removal: pcscd powers an idle card off. */
  powerOff(): void;
  /** Warm reset (vpcd control 02). Returns the ATR. */
  reset(): Uint8Array;
  /** The current ATR (vpcd control 04, also pcscd's ~400 ms presence poll, docs/vpcd-pcscd.md "vpcd protocol"). */
  atr(): Uint8Array;
  /** One command APDU in, the response APDU out, status word included (ISO 7816-4 §5.1). */
  transmit(apdu: Uint8Array): Uint8Array;
}
