/**
 * The 5-octet replay counter CNTR of secured packets (ETSI TS 102 225 §5.1.1;
 * 3GPP TS 31.115 §4). 40-bit values do not fit the core's 31-bit integers, so counters
 * stay big-endian byte strings and are compared and incremented octet by octet.
 */
export const CNTR_LEN = 5;

/**
 * Where a receiver keeps the highest counter it accepted, and a sender the last one it used, for
 * one key set. The caller persists it (SE store, platform DB); write() must be durable before it
 * returns, or at the latest before anything that follows from it leaves the system (a store with
 * group commit), so an accepted packet can never be accepted again after a power cut once it had
 * an effect, and a used counter never goes out again.
 */
export interface CounterStore {
  /** Copies the stored counter into out[off .. off+5); all zeros before the first packet. */
  read(out: Uint8Array, off: number): void;
  /** Stores cntr[off .. off+5). */
  write(cntr: Uint8Array, off: number): void;
}

/** -1, 0 or 1 as a[aOff..] is below, equal to or above b[bOff..] (5 octets, big-endian). */
export function compareCounter(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < CNTR_LEN; i++) {
    const x = a[aOff + i];
    const y = b[bOff + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** True when the counter is FF FF FF FF FF: nothing can follow it (status CNTR blocked). */
export function counterAtMax(c: Uint8Array, off: number): boolean {
  for (let i = 0; i < CNTR_LEN; i++) if (c[off + i] !== 0xff) return false;
  return true;
}

/** Adds one in place; returns false (counter unchanged) when it is already at its maximum. */
export function incrementCounter(c: Uint8Array, off: number): boolean {
  if (counterAtMax(c, off)) return false;
  for (let i = CNTR_LEN - 1; i >= 0; i--) {
    const v = (c[off + i] + 1) & 0xff;
    c[off + i] = v;
    if (v !== 0) break;
  }
  return true;
}

/** True when a[aOff..] is exactly b[bOff..] + 1. */
export function isNextCounter(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  let carry = 1;
  for (let i = CNTR_LEN - 1; i >= 0; i--) {
    const sum = b[bOff + i] + carry;
    if ((sum & 0xff) !== a[aOff + i]) return false;
    carry = sum > 0xff ? 1 : 0;
  }
  return carry === 0;
}

/**
 * The sender's side: takes the stored counter, adds one, persists it and copies it to out. Returns
 * false when the counter is exhausted (the key set must be replaced). Persisting before sending
 * means a crash can skip a value but never reuse one.
 */
export function takeNextCounter(store: CounterStore, scratch: Uint8Array, out: Uint8Array, outOff: number): boolean {
  store.read(scratch, 0);
  if (!incrementCounter(scratch, 0)) return false;
  store.write(scratch, 0);
  for (let i = 0; i < CNTR_LEN; i++) out[outOff + i] = scratch[i];
  return true;
}
