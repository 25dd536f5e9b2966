/**
 * The one status-word gate of the host side (STYLE.md §3): 9000 and the listed warnings pass,
 * anything else throws a CardError carrying the SW.
 */
import { SW } from '../firmware/src/core/sw';
import { CardError } from './card-errors';

/** An R-APDU split into its data and status word. */
export interface CardResponse {
  data: Uint8Array;
  sw: number;
}

export function splitResponse(rapdu: Uint8Array): CardResponse {
  if (rapdu.length < 2) throw new Error(`the card answered ${rapdu.length} byte(s); an R-APDU ends with SW1 SW2 (ISO 7816-4 §5.1)`);
  return { data: rapdu.subarray(0, rapdu.length - 2), sw: (rapdu[rapdu.length - 2] << 8) | rapdu[rapdu.length - 1] };
}

/** Returns the response when its SW is 9000 or one of `allowed`; throws CardError otherwise. */
export function checkSw(rapdu: Uint8Array, command: string, ...allowed: number[]): CardResponse {
  const r = splitResponse(rapdu);
  if (r.sw !== SW.OK && !allowed.includes(r.sw)) throw new CardError(command, r.sw);
  return r;
}
