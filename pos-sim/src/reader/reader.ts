/**
 * The POS reader: one interface for the two transports (ARCHITECTURE.md "pos-sim"), so card search,
 * SELECT, reads and the purse transactions are one code path above them:
 *
 *   direct  pos-sim listens as a vpcd-protocol reader; the emulated board or `tapcard se serve`
 *           connects to it (direct-reader.ts)
 *   pcsc    through pcscd: vsmartcard-vpcd for the emulated board, or a real ACR122U-style reader
 *           with a real board (pcsc-reader.ts)
 *
 * A card that leaves the field surfaces as CardRemovedError on either transport; no card before the
 * deadline as NoCardError.
 */
import type { Transmit } from '../../../host/vpcd/vpcd-reader';

export { CardRemovedError, NoCardError } from '../../../host/vpcd/errors';
export type { Transmit };

export interface Reader {
  /** Where the reader is: 'vpcd 127.0.0.1:35990' or the PC/SC reader name once a card was found. */
  readonly name: string;
  /** Waits for a card in the field and powers it; resolves to its ATR. Rejects with NoCardError. */
  waitForCard(timeoutMs: number): Promise<Uint8Array>;
  /** C-APDU in, R-APDU (status word included) out; rejects with CardRemovedError when the card goes. */
  readonly transmit: Transmit;
  /** Ends the session with the card in the field (field off / PC/SC disconnect); the reader stays usable. */
  powerOff(): Promise<void>;
  /** Releases the reader (stops listening / closes the PC/SC context). */
  close(): Promise<void>;
}

/** `--reader` value: `direct:PORT` or `direct:HOST:PORT`, `pcsc` or `pcsc:NAME`. */
export type ReaderSpec = { kind: 'direct'; host: string; port: number } | { kind: 'pcsc'; name?: string };

/** Parses a `--reader` value; null when it is neither form. */
export function parseReaderSpec(text: string): ReaderSpec | null {
  const direct = /^direct:(?:(.+):)?(\d{1,5})$/.exec(text);
  if (direct) {
    const port = Number(direct[2]);
    return port <= 0xffff ? { kind: 'direct', host: direct[1] ?? '127.0.0.1', port } : null;
  }
  if (text === 'pcsc') return { kind: 'pcsc' };
  if (text.startsWith('pcsc:') && text.length > 'pcsc:'.length) return { kind: 'pcsc', name: text.slice('pcsc:'.length) };
  return null;
}
