/** Random HAL: fills out[off..off+len) with unpredictable bytes (board TRNG, or node:crypto on the host). */
export interface Random {
  fill(out: Uint8Array, off: number, len: number): void;
}
