/**
 * Compaction: the ring fills, the tail's live records move to the new head page, the tail is
 * erased; with power cuts everywhere, and with the store full.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { STORE_MAX_VALUE, type Store } from '../../firmware/src/core/store/store';
import { type Step, dump, mountStore, must, putAll, runWithEveryCut, seededRandom, value } from './_helpers';
import { checkStore } from '../../firmware/src/core/store/check';

const PAGES = 4;
const ELF = 3;
const ELF_CHUNK = 0x40;

/** Four 600-byte keys overwritten round after round until the ring of 4 pages has wrapped. */
function wrappedImage(): Uint8Array {
  const flash = new MemoryFlash(PAGES);
  const store = mountStore(flash);
  for (let round = 0; round < 7; round++) {
    store.begin();
    putAll(store, ELF, [0, 1, 2, 3], round * 10, 600);
    must(store.commit(), `round ${round}`);
  }
  expect(flash.eraseCount, 'the base image has been compacted already').toBeGreaterThan(0);
  return flash.snapshot();
}

const bigTransaction: Step = (store) => {
  store.begin();
  putAll(store, ELF, [0, 1, 2, 3, 4, 5], 100, 600);
  must(store.remove(ELF, 2), 'remove');
  must(store.commit(), 'big commit');
};

const smallTransaction: Step = (store) => {
  store.begin();
  putAll(store, ELF, [1, 6], 200, 300);
  must(store.commit(), 'small commit');
};

describe('compaction', () => {
  it('runs while a transaction has records pending, and the commit still applies them all', () => {
    const flash = new MemoryFlash(PAGES, wrappedImage());
    const store = mountStore(flash);
    store.begin();
    must(store.put(ELF, 0, value(1, 600), 0, 600), 'first put');
    const erasesBefore = flash.eraseCount;
    putAll(store, ELF, [1, 2, 3, 4, 5, 6, 7], 1, 600);
    expect(flash.eraseCount).toBeGreaterThan(erasesBefore);
    must(store.commit(), 'commit');
    const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((id) => `3:${id}=${Buffer.from(value(1 + (id === 0 ? 0 : id), 600)).toString('hex')}`);
    expect(dump(store)).toBe(expected.join('\n'));
    expect(dump(mountStore(flash))).toBe(dump(store));
    expect(checkStore(store).problems).toEqual([]);
  });

  it('survives a power cut at every program/erase, including inside compaction and recovery', () => {
    const summary = runWithEveryCut(wrappedImage(), PAGES, [bigTransaction, smallTransaction], true);
    expect(summary.erases, 'the scenario compacts').toBeGreaterThan(0);
    expect(summary.recoveredTo[0]).toBeGreaterThan(0);
    expect(summary.recoveredTo[1]).toBeGreaterThan(0);
  });

  it('keeps LOAD-sized transactions atomic over many compactions', () => {
    const load = (round: number): Step => (store) => {
      store.begin();
      must(store.reserve(9, 8 * 240 + 40), `reserve ${round}`);
      putAll(store, ELF_CHUNK, [0, 1, 2, 3, 4, 5, 6, 7], round * 16, 240);
      must(store.put(ELF, 1, value(round, 40), 0, 40), 'ELF record');
      must(store.commit(), `load ${round}`);
    };
    const summary = runWithEveryCut(wrappedImage(), PAGES, [load(1), load(2), load(3), load(4)]);
    expect(summary.erases).toBeGreaterThanOrEqual(2);
  });
});

/** Kinds of every whole record on flash, page by page (layout: firmware/src/core/store/_layout.ts). */
function recordKinds(flash: MemoryFlash): number[] {
  const kinds: number[] = [];
  const image = flash.snapshot();
  for (let page = 0; page < flash.pageCount; page++) {
    let off = page * 4096 + 16;
    const end = (page + 1) * 4096;
    while (off + 12 <= end && image[off] !== 0xff) {
      kinds.push(image[off]);
      off += Math.ceil((12 + ((image[off + 8] << 8) | image[off + 9])) / 4) * 4;
    }
  }
  return kinds;
}

const KIND_BACKUP = 0x42;

describe('compaction during a transaction that rewrites a key being moved', () => {
  /** The tail page holds K = (ELF, 0); the ring is full. The transaction removes K, then fills pages. */
  function removeWhileCompacting(finish: (store: Store) => void): { flash: MemoryFlash; store: Store } {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    store.begin();
    putAll(store, ELF, [0], 1, 600);
    must(store.commit(), 'K');
    for (let round = 0; round < 4; round++) {
      store.begin();
      putAll(store, ELF, [1, 2, 3], round * 10, 600);
      must(store.commit(), `round ${round}`);
    }
    store.begin();
    must(store.remove(ELF, 0), 'remove K');
    putAll(store, ELF_CHUNK, [0, 1, 2, 3, 4, 5, 6, 7], 50, 600);
    expect(recordKinds(flash), 'K was moved as a BACKUP').toContain(KIND_BACKUP);
    finish(store);
    return { flash, store };
  }

  /** Transactions overwriting other keys until every page has been compacted again. */
  const churnSteps: Step[] = [];
  for (let round = 0; round < 12; round++) {
    churnSteps.push((store) => {
      store.begin();
      putAll(store, ELF, [1, 2], 100 + round, 600);
      must(store.commit(), `churn ${round}`);
    });
  }
  const churn = (store: Store): void => churnSteps.forEach((step) => step(store));

  it('keeps the key removed after commit, however many compactions follow', () => {
    const { flash, store } = removeWhileCompacting((s) => must(s.commit(), 'commit'));
    expect(store.length(ELF, 0)).toBe(-1);
    expect(mountStore(flash).length(ELF, 0)).toBe(-1);
    churn(store);
    const again = mountStore(flash);
    expect(again.length(ELF, 0)).toBe(-1);
    expect(checkStore(again).problems).toEqual([]);
  });

  it('keeps the old value after abort, however many compactions follow', () => {
    const { flash, store } = removeWhileCompacting((s) => s.abort());
    const out = new Uint8Array(600);
    expect(store.get(ELF, 0, out, 0)).toBe(600);
    expect(Array.from(out)).toEqual(Array.from(value(1, 600)));
    churn(store);
    const again = mountStore(flash);
    expect(again.get(ELF, 0, out, 0)).toBe(600);
    expect(Array.from(out)).toEqual(Array.from(value(1, 600)));
    expect(checkStore(again).problems).toEqual([]);
  });

  it('recovers exactly at every cut point of remove, compaction and commit', () => {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    store.begin();
    putAll(store, ELF, [0], 1, 600);
    must(store.commit(), 'K');
    for (let round = 0; round < 4; round++) {
      store.begin();
      putAll(store, ELF, [1, 2, 3], round * 10, 600);
      must(store.commit(), `round ${round}`);
    }
    const steps: Step[] = [
      (s) => {
        s.begin();
        must(s.remove(ELF, 0), 'remove K');
        putAll(s, ELF_CHUNK, [0, 1, 2, 3, 4, 5, 6, 7], 50, 600);
        must(s.commit(), 'commit');
      },
      ...churnSteps,
    ];
    const summary = runWithEveryCut(flash.snapshot(), PAGES, steps);
    expect(summary.erases).toBeGreaterThan(4);
  });
});

/** Fills a store with new 1000-byte keys until a put is refused; returns the committed count. */
function fill(store: Store): number {
  let id = 0;
  for (;;) {
    store.begin();
    if (!store.put(ELF, id, value(id, 1000), 0, 1000)) {
      expect(store.commit()).toBe(false);
      return id;
    }
    must(store.commit(), `fill ${id}`);
    id++;
  }
}

describe('a full store', () => {
  it('refuses reserve, put and commit, and keeps its committed state', () => {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    const count = fill(store);
    expect(count).toBeGreaterThanOrEqual(9);
    const before = dump(store);

    store.begin();
    expect(store.reserve(1, 1000)).toBe(false);
    expect(store.put(ELF, 500, value(1, 1000), 0, 1000)).toBe(false);
    expect(store.put(ELF, 501, value(1, 1), 0, 1)).toBe(false);
    expect(store.commit()).toBe(false);
    expect(dump(store)).toBe(before);
    expect(dump(mountStore(flash))).toBe(before);
    expect(checkStore(store).problems).toEqual([]);
  });

  it('can still delete, and then takes new values in the space it got back', () => {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    const count = fill(store);
    store.begin();
    for (let id = 0; id < 3; id++) must(store.remove(ELF, id), `remove ${id}`);
    must(store.commit(), 'delete commit');
    store.begin();
    must(store.reserve(2, 2000), 'reserve after delete');
    putAll(store, ELF, [100, 101], 0, 1000);
    must(store.commit(), 'commit after delete');
    const again = mountStore(flash);
    expect(again.length(ELF, 0)).toBe(-1);
    expect(again.length(ELF, 101) >= 0).toBe(true);
    expect(again.length(ELF, count - 1) >= 0).toBe(true);
    expect(checkStore(again).problems).toEqual([]);
  });

  it('stays consistent with a power cut at every operation of delete-then-refill', () => {
    const flash = new MemoryFlash(PAGES);
    fill(mountStore(flash));
    const steps: Step[] = [
      (store) => {
        store.begin();
        must(store.remove(ELF, 1), 'remove');
        must(store.remove(ELF, 4), 'remove');
        must(store.commit(), 'delete');
      },
      (store) => {
        store.begin();
        putAll(store, ELF, [200, 201], 5, 1000);
        must(store.commit(), 'refill');
      },
    ];
    const summary = runWithEveryCut(flash.snapshot(), PAGES, steps, true);
    expect(summary.erases).toBeGreaterThan(0);
  });
});

describe('reserve()', () => {
  it('is a promise: when it says yes, the puts and the commit succeed', () => {
    const random = seededRandom(7);
    let promised = 0;
    let refused = 0;
    for (let trial = 0; trial < 200; trial++) {
      const flash = new MemoryFlash(PAGES + (trial % 3));
      const store = mountStore(flash);
      // A random history: overwrites and removes leave garbage for compaction to find.
      const history = random(40);
      for (let t = 0; t < history; t++) {
        store.begin();
        const id = random(12);
        const len = 1 + random(1000);
        const ok = random(4) === 0 ? store.remove(ELF, id) : store.put(ELF, id, value(t, len), 0, len);
        if (ok) store.commit();
        else store.abort();
      }
      const lens: number[] = [];
      const records = 1 + random(30);
      for (let i = 0; i < records; i++) lens.push(random(2) === 0 ? random(STORE_MAX_VALUE + 1) : random(256));
      const total = lens.reduce((a, b) => a + b, 0);
      const before = dump(store);
      store.begin();
      if (!store.reserve(records, total)) {
        refused++;
        store.abort();
        expect(dump(mountStore(flash))).toBe(before);
        continue;
      }
      promised++;
      lens.forEach((len, i) => expect(store.put(ELF_CHUNK, i, value(i, len), 0, len), `trial ${trial} put ${i}`).toBe(true));
      expect(store.commit(), `trial ${trial} commit`).toBe(true);
      expect(checkStore(store).problems).toEqual([]);
    }
    expect(promised).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  it('says yes on an empty store for what fits, and no for more than the flash holds', () => {
    const store = mountStore(new MemoryFlash(PAGES));
    store.begin();
    expect(store.reserve(21, 20 * 240 + 40)).toBe(true);
    expect(store.reserve(20, 20 * 1000)).toBe(false);
    expect(store.freeBytes()).toBeLessThan(PAGES * 4096);
    expect(store.freeBytes()).toBeGreaterThan(2 * 4096);
  });
});
