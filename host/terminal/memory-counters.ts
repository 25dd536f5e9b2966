/**
 * The terminal's link counters (TS 102 225 CNTR) in memory, for a terminal whose state lives no
 * longer than its process (Terminal with `stateDir: null`). Within the process they are what
 * counter-file.ts keeps on disk: the last up counter sent and the highest down counter accepted, so
 * a replayed or stale packet is refused the same way; only a restart forgets them.
 */
import { CNTR_LEN, type CounterStore } from '../../firmware/src/core/link/counter';

function memoryCounter(): CounterStore {
  const value = new Uint8Array(CNTR_LEN);
  return {
    read(out, off) {
      out.set(value, off);
    },
    write(cntr, off) {
      value.set(cntr.subarray(off, off + CNTR_LEN));
    },
  };
}

export function memoryCounters(): { up: CounterStore; down: CounterStore; whenDurable(): null } {
  return { up: memoryCounter(), down: memoryCounter(), whenDurable: () => null };
}
