/**
 * The platform's send counter handed out from a durable reservation: the stored value is a ceiling
 * that every counter sent stays at or below, raised by a block at a time, so one committed write
 * (an fsync on SQLite) covers `block` secured packets instead of one. A crash skips what is left of
 * the block and never reuses a value: a new store starts above the stored ceiling.
 *
 * Only for counters the peer checks as "higher than" the last it accepted (SPI b5b4 = 10,
 * ETSI TS 102 225 §5.1.1; SPI1_LINK), where skipped values are allowed; a receiver's store (the
 * highest counter accepted) must stay one write per packet.
 */
import { CNTR_LEN, type CounterStore, compareCounter, incrementCounter } from '../../../firmware/src/core/link/counter';

export class ReservedCounterStore implements CounterStore {
  /** The last counter handed out. */
  private readonly last = new Uint8Array(CNTR_LEN);
  /** What the durable store holds: no counter handed out is above it. */
  private readonly ceiling = new Uint8Array(CNTR_LEN);
  private loaded = false;

  constructor(
    private readonly durable: CounterStore,
    private readonly block: number,
  ) {
    if (!Number.isInteger(block) || block < 1) throw new RangeError(`reservation block must be a positive integer, got ${block}`);
  }

  read(out: Uint8Array, off: number): void {
    this.load();
    out.set(this.last, off);
  }

  /** Stores cntr[off .. off+5) as the last counter handed out; durable once it passes the ceiling. */
  write(cntr: Uint8Array, off: number): void {
    this.load();
    if (compareCounter(cntr, off, this.ceiling, 0) > 0) {
      const next = cntr.slice(off, off + CNTR_LEN);
      for (let i = 1; i < this.block && incrementCounter(next, 0); i++);
      this.durable.write(next, 0);
      this.ceiling.set(next);
    }
    this.last.set(cntr.subarray(off, off + CNTR_LEN));
  }

  private load(): void {
    if (this.loaded) return;
    this.durable.read(this.ceiling, 0);
    this.last.set(this.ceiling);
    this.loaded = true;
  }
}
