/**
 * Answer-to-reset of a contactless card as PC/SC part 3 presents it (ISO/IEC 7816-3 §8; PC/SC Part 3 §3.1.3.2.3):
 *   3B 8n 80 01 T1..Tn TCK   (TD1 -> TD2, T=1; n historical bytes <= 15; TCK = XOR of T0..Tn)
 */
export const ATR_MAX_LEN = 5 + 15;

/** Writes the ATR into out[0..] and returns its length (-1 if hist is too long or out too small). */
export function buildContactlessAtr(hist: Uint8Array, histOff: number, histLen: number, out: Uint8Array): number {
  if (histLen > 15 || out.length < 5 + histLen) return -1;
  out[0] = 0x3b;
  out[1] = 0x80 | histLen;
  out[2] = 0x80;
  out[3] = 0x01;
  for (let i = 0; i < histLen; i++) out[4 + i] = hist[histOff + i];
  let tck = 0;
  for (let i = 1; i < 4 + histLen; i++) tck = tck ^ out[i];
  out[4 + histLen] = tck;
  return 5 + histLen;
}
