/**
 * A long random workload against a model of the committed state: puts, removes, aborts, a full
 * store now and then, and power cuts at random operations. The store must always equal the model.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFlash, PowerCutError } from '../../host/flash/memory-flash';
import { dump, mountStore, seededRandom, value } from './_helpers';
import { checkStore } from '../../firmware/src/core/store/check';

const TYPES = [3, 0x40];

function modelDump(model: Map<number, Uint8Array>): string {
  return [...model.keys()]
    .sort((a, b) => a - b)
    .map((key) => `${key >> 16}:${key & 0xffff}=${Buffer.from(model.get(key) as Uint8Array).toString('hex')}`)
    .join('\n');
}

describe('random workload with power cuts', () => {
  it('always matches the model of committed transactions', () => {
    const random = seededRandom(2024);
    const flash = new MemoryFlash(5);
    let store = mountStore(flash);
    let model = new Map<number, Uint8Array>();
    const tally = { committed: 0, aborted: 0, full: 0, cut: 0 };
    for (let txn = 0; txn < 400; txn++) {
      if (random(6) === 0) flash.cutAfter(random(12));
      const pending = new Map(model);
      try {
        store.begin();
        let ok = true;
        const ops = 1 + random(8);
        for (let i = 0; i < ops && ok; i++) {
          const type = TYPES[random(TYPES.length)];
          const id = random(24);
          if (random(4) === 0) {
            ok = store.remove(type, id);
            pending.delete(type * 65536 + id);
          } else {
            const len = random(3) === 0 ? random(1025) : random(120);
            const v = value(txn * 8 + i, len);
            ok = store.put(type, id, v, 0, len);
            pending.set(type * 65536 + id, v);
          }
        }
        if (!ok) {
          tally.full++;
          expect(store.commit()).toBe(false);
        } else if (random(10) === 0) {
          tally.aborted++;
          store.abort();
        } else {
          expect(store.commit()).toBe(true);
          model = pending;
          tally.committed++;
        }
      } catch (e) {
        if (!(e instanceof PowerCutError)) throw e;
        tally.cut++;
        flash.reboot();
        store = mountStore(flash);
        expect(dump(store), `after the cut in transaction ${txn}`).toBe(modelDump(model));
        expect(checkStore(store).problems).toEqual([]);
      }
      flash.reboot();
      if (txn % 50 === 49) {
        store = mountStore(flash);
        expect(dump(store)).toBe(modelDump(model));
        expect(checkStore(store).problems).toEqual([]);
      }
    }
    expect(dump(store)).toBe(modelDump(model));
    expect(tally.cut).toBeGreaterThan(20);
    expect(tally.committed).toBeGreaterThan(200);
    expect(flash.eraseCount).toBeGreaterThan(20);
  });
});
