/**
 * The board's TS 102 225 link counters (core/link/counter.ts CounterStore) in Storage: the last up
 * counter sent and the highest down counter accepted, 10 octets as 20 hex digits. Every write goes
 * to two files one after the other, and reading takes the higher value of each counter, so a power
 * cut during a write leaves at least the previous value (counters only grow; docs/link.md).
 */
import { CNTR_LEN, type CounterStore, compareCounter } from '../../core/link/counter';
import { fromHex, toHex } from '../../core/hex';
import type { EspruinoStorage } from './espruino-api';

const BOTH = 2 * CNTR_LEN;

export class LinkCounters {
  readonly up: CounterStore;
  readonly down: CounterStore;
  /** up[0, 5) then down[5, 10): the value in both files once a write returned. */
  private readonly value = new Uint8Array(BOTH);

  constructor(
    private readonly storage: EspruinoStorage,
    private readonly files: string[],
  ) {
    for (let f = 0; f < files.length; f++) {
      const text = storage.read(files[f]);
      if (text === undefined || text.length !== 2 * BOTH || !/^[0-9a-f]*$/.test(text)) continue;
      const stored = fromHex(text);
      for (let at = 0; at < BOTH; at += CNTR_LEN) {
        if (compareCounter(stored, at, this.value, at) > 0) for (let i = 0; i < CNTR_LEN; i++) this.value[at + i] = stored[at + i];
      }
    }
    this.up = this.direction(0);
    this.down = this.direction(CNTR_LEN);
  }

  private direction(at: number): CounterStore {
    const counters = this;
    return {
      read(out: Uint8Array, off: number): void {
        for (let i = 0; i < CNTR_LEN; i++) out[off + i] = counters.value[at + i];
      },
      write(cntr: Uint8Array, off: number): void {
        for (let i = 0; i < CNTR_LEN; i++) counters.value[at + i] = cntr[off + i];
        const text = toHex(counters.value).toLowerCase();
        for (let f = 0; f < counters.files.length; f++) counters.storage.write(counters.files[f], text);
      },
    };
  }
}
