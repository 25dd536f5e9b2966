/**
 * The platform's down counters reserved a block at a time: one durable write per block, every
 * counter sent at or below the stored value, and after a crash (a new store over the same durable
 * value) the next counter is above every counter sent before. With several workers (a lease fence)
 * every counter is still written, under the fence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNTR_LEN, type CounterStore, compareCounter, takeNextCounter } from '../../firmware/src/core/link/counter';
import { DbCounterStore } from '../../platform-server/src/db/link-counters';
import { DOWN_COUNTER_BLOCK, countersFromDb } from '../../platform-server/src/link/link-sources';
import { ReservedCounterStore } from '../../platform-server/src/link/reserved-counter';
import { provisionDevice } from '../../platform-server/src/provision';
import { tempPlatform, type TempPlatform } from './_fixtures';

/** A durable store in memory that counts its writes. */
class CountingStore implements CounterStore {
  readonly value = new Uint8Array(CNTR_LEN);
  writes = 0;
  read(out: Uint8Array, off: number): void {
    out.set(this.value, off);
  }
  write(cntr: Uint8Array, off: number): void {
    this.value.set(cntr.subarray(off, off + CNTR_LEN));
    this.writes++;
  }
}

function take(store: CounterStore): Uint8Array {
  const out = new Uint8Array(CNTR_LEN);
  if (!takeNextCounter(store, new Uint8Array(CNTR_LEN), out, 0)) throw new Error('counter exhausted');
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('reserved send counters', () => {
  it('hand out consecutive counters with one durable write per block, never above the stored ceiling', () => {
    const durable = new CountingStore();
    const store = new ReservedCounterStore(durable, 64);
    let previous: Uint8Array = new Uint8Array(CNTR_LEN);
    for (let i = 1; i <= 200; i++) {
      const c = take(store);
      expect(Number.parseInt(hex(c), 16)).toBe(i);
      expect(compareCounter(c, 0, previous, 0)).toBe(1);
      expect(compareCounter(c, 0, durable.value, 0)).toBeLessThanOrEqual(0);
      previous = c;
    }
    expect(durable.writes).toBe(Math.ceil(200 / 64));
    expect(hex(durable.value)).toBe((4 * 64).toString(16).padStart(10, '0'));
  });

  it('after a crash, continue above every counter sent before', () => {
    const durable = new CountingStore();
    const sent: Uint8Array[] = [];
    const first = new ReservedCounterStore(durable, 64);
    for (let i = 0; i < 10; i++) sent.push(take(first));
    // The process dies: what it held in memory is gone, the durable store stays.
    const second = new ReservedCounterStore(durable, 64);
    const next = take(second);
    for (const c of sent) expect(compareCounter(next, 0, c, 0)).toBe(1);
    expect(hex(next)).toBe('0000000041');
  });

  it('stop at the counter maximum instead of wrapping', () => {
    const durable = new CountingStore();
    durable.value.set([0xff, 0xff, 0xff, 0xff, 0xf0]);
    const store = new ReservedCounterStore(durable, 64);
    for (let i = 0; i < 15; i++) take(store);
    expect(hex(durable.value)).toBe('ffffffffff');
    expect(takeNextCounter(store, new Uint8Array(CNTR_LEN), new Uint8Array(CNTR_LEN), 0)).toBe(false);
  });
});

describe('platform counters in the database', () => {
  let t: TempPlatform;
  beforeAll(async () => {
    t = await tempPlatform();
    await provisionDevice(t.platform, { deviceId: 'term-1' });
    await provisionDevice(t.platform, { deviceId: 'term-2' });
  });
  afterAll(() => t.cleanup());

  const stored = (deviceId: string, direction: 'up' | 'down'): string => {
    const out = new Uint8Array(CNTR_LEN);
    new DbCounterStore(t.platform.db, deviceId, direction).read(out, 0);
    return hex(out);
  };

  it('reserve down counters a block ahead in one process, and store every up counter', () => {
    const down = countersFromDb(t.platform)('term-1', 'down');
    for (let i = 0; i < 3; i++) take(down);
    expect(stored('term-1', 'down')).toBe(DOWN_COUNTER_BLOCK.toString(16).padStart(10, '0'));
    countersFromDb(t.platform)('term-1', 'up').write(Uint8Array.of(0, 0, 0, 0, 7), 0);
    expect(stored('term-1', 'up')).toBe('0000000007');
  });

  it('write every down counter under the lease fence when workers share the database', () => {
    let fenced = 0;
    const down = countersFromDb(t.platform, () => fenced++)('term-2', 'down');
    for (let i = 0; i < 3; i++) take(down);
    expect(fenced).toBe(3);
    expect(stored('term-2', 'down')).toBe('0000000003');
  });
});
