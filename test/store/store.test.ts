import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { STORE_MAX_VALUE, Store } from '../../firmware/src/core/store/store';
import { dump, mountStore, value } from './_helpers';
import { checkStore } from '../../firmware/src/core/store/check';
import { KEPT_RECORDS } from '../../firmware/src/core/store/_txn';

const ELF = 3;
const APP = 4;

function read(store: Store, type: number, id: number): number[] | null {
  const out = new Uint8Array(STORE_MAX_VALUE);
  const len = store.get(type, id, out, 0);
  return len < 0 ? null : Array.from(out.subarray(0, len));
}

function commitPuts(store: Store, entries: Array<[number, number, number[]]>): void {
  store.begin();
  for (const [type, id, bytes] of entries) expect(store.put(type, id, Uint8Array.from(bytes), 0, bytes.length)).toBe(true);
  expect(store.commit()).toBe(true);
}

describe('Store transactions', () => {
  it('keeps committed puts and removes across mount()', () => {
    const flash = new MemoryFlash(4);
    const store = mountStore(flash);
    commitPuts(store, [
      [ELF, 7, [1, 2, 3]],
      [APP, 1, [9]],
      [APP, 2, []],
    ]);
    store.begin();
    expect(store.remove(APP, 1)).toBe(true);
    expect(store.put(ELF, 7, Uint8Array.of(4, 5), 0, 2)).toBe(true);
    expect(store.commit()).toBe(true);

    const again = mountStore(flash);
    expect(read(again, ELF, 7)).toEqual([4, 5]);
    expect(again.length(APP, 1)).toBe(-1);
    expect(read(again, APP, 2)).toEqual([]);
    expect(again.length(APP, 2)).toBe(0);
    expect(again.length(APP, 9)).toBe(-1);
    expect(checkStore(again)).toEqual({ ok: true, problems: [] });
  });

  it('applies transactions of up to and beyond the records it keeps in RAM in write order, as mount() does', () => {
    for (const records of [KEPT_RECORDS - 1, KEPT_RECORDS, KEPT_RECORDS + 1, 3 * KEPT_RECORDS]) {
      const flash = new MemoryFlash(8);
      const store = mountStore(flash);
      commitPuts(store, [[APP, 0, [7]], [APP, 1, [8]]]);
      store.begin();
      // Rewrites, removes and a put after a remove of the same key: only log order gives the answer.
      for (let i = 0; i < records; i++) {
        const id = i % 5;
        if (i % 4 === 3) expect(store.remove(APP, id)).toBe(true);
        else expect(store.put(APP, id, value(i, 1 + (i % 3)), 0, 1 + (i % 3))).toBe(true);
      }
      expect(store.commit()).toBe(true);
      const expected = new Map<number, string>([[0, '07'], [1, '08']]);
      for (let i = 0; i < records; i++) {
        if (i % 4 === 3) expected.delete(i % 5);
        else expected.set(i % 5, Buffer.from(value(i, 1 + (i % 3))).toString('hex'));
      }
      const want = [...expected.keys()].sort((a, b) => a - b).map((id) => `${APP}:${id}=${expected.get(id)}`).join('\n');
      expect(dump(store), `${records} records`).toBe(want);
      expect(dump(mountStore(flash)), `${records} records, mounted again`).toBe(want);
    }
  });

  it('discards an aborted transaction, before and after a mount', () => {
    const flash = new MemoryFlash(4);
    const store = mountStore(flash);
    commitPuts(store, [[ELF, 1, [1]]]);
    store.begin();
    expect(store.put(ELF, 1, Uint8Array.of(2), 0, 1)).toBe(true);
    expect(store.put(ELF, 2, Uint8Array.of(3), 0, 1)).toBe(true);
    store.abort();
    expect(dump(store)).toBe('3:1=01');
    expect(dump(mountStore(flash))).toBe('3:1=01');
    // The next transaction is not confused by the aborted records of the one before.
    commitPuts(store, [[ELF, 3, [4]]]);
    expect(dump(mountStore(flash))).toBe('3:1=01\n3:3=04');
  });

  it('drops a transaction that was never committed when the store is mounted again', () => {
    const flash = new MemoryFlash(4);
    const store = mountStore(flash);
    store.begin();
    expect(store.put(ELF, 1, Uint8Array.of(2), 0, 1)).toBe(true);
    const again = mountStore(flash);
    expect(again.length(ELF, 1)).toBe(-1);
    expect(checkStore(again).ok).toBe(true);
  });

  it('shows only committed state to reads while a transaction is open', () => {
    const store = mountStore(new MemoryFlash(4));
    commitPuts(store, [[ELF, 1, [1]]]);
    store.begin();
    store.put(ELF, 1, Uint8Array.of(2), 0, 1);
    store.put(ELF, 2, Uint8Array.of(3), 0, 1);
    store.remove(ELF, 1);
    expect(read(store, ELF, 1)).toEqual([1]);
    expect(store.length(ELF, 2)).toBe(-1);
    expect(store.commit()).toBe(true);
    expect(dump(store)).toBe('3:2=03');
  });

  it('applies a transaction in order: the last write to a key wins', () => {
    const store = mountStore(new MemoryFlash(4));
    store.begin();
    store.put(ELF, 1, Uint8Array.of(1), 0, 1);
    store.put(ELF, 1, Uint8Array.of(2), 0, 1);
    store.put(ELF, 2, Uint8Array.of(3), 0, 1);
    store.remove(ELF, 2);
    store.remove(ELF, 3);
    store.put(ELF, 3, Uint8Array.of(4), 0, 1);
    expect(store.commit()).toBe(true);
    expect(dump(store)).toBe('3:1=02\n3:3=04');
    expect(checkStore(store).ok).toBe(true);
  });

  it('commits an empty transaction without writing', () => {
    const flash = new MemoryFlash(4);
    const store = mountStore(flash);
    const ops = flash.opCount;
    store.begin();
    expect(store.commit()).toBe(true);
    expect(flash.opCount).toBe(ops);
  });

  it('stores values of 0 and STORE_MAX_VALUE bytes, and refuses longer ones', () => {
    const store = mountStore(new MemoryFlash(4));
    const big = value(5, STORE_MAX_VALUE);
    store.begin();
    expect(store.put(ELF, 1, big, 0, STORE_MAX_VALUE)).toBe(true);
    expect(store.put(ELF, 2, big, 0, 0)).toBe(true);
    expect(() => store.put(ELF, 3, new Uint8Array(STORE_MAX_VALUE + 1), 0, STORE_MAX_VALUE + 1)).toThrow(/max 1024/);
    expect(store.commit()).toBe(true);
    expect(read(store, ELF, 1)).toEqual(Array.from(big));
    expect(store.length(ELF, 2)).toBe(0);
  });

  it('a store with a smaller maxValue keeps values up to it across mount() and refuses longer ones', () => {
    const flash = new MemoryFlash(4);
    const store = new Store(flash, 16, 240);
    store.mount();
    const chunk = value(9, 240);
    store.begin();
    expect(store.put(ELF, 1, chunk, 0, 240)).toBe(true);
    expect(() => store.put(ELF, 2, new Uint8Array(241), 0, 241)).toThrow(/max 240/);
    expect(store.commit()).toBe(true);
    const again = new Store(flash, 16, 240);
    again.mount();
    expect(read(again, ELF, 1)).toEqual(Array.from(chunk));
    expect(() => new Store(flash, 16, STORE_MAX_VALUE + 1)).toThrow(/maxValue/);
  });
});

describe('Store reads and iteration', () => {
  it('lists the ids of one type in order with nextId, without the neighbours', () => {
    const store = mountStore(new MemoryFlash(4));
    commitPuts(store, [
      [APP, 65535, [1]],
      [ELF, 9, [1]],
      [ELF, 0, [1]],
      [ELF, 300, [1]],
      [2, 5, [1]],
    ]);
    const ids: number[] = [];
    for (let id = store.nextId(ELF, -1); id >= 0; id = store.nextId(ELF, id)) ids.push(id);
    expect(ids).toEqual([0, 9, 300]);
    expect(store.nextId(APP, -1)).toBe(65535);
    expect(store.nextId(APP, 65535)).toBe(-1);
    expect(store.nextId(5, -1)).toBe(-1);
  });

  it('copies a value at an offset and refuses a buffer that is too small', () => {
    const store = mountStore(new MemoryFlash(4));
    commitPuts(store, [[ELF, 1, [1, 2, 3]]]);
    const out = new Uint8Array(5);
    expect(store.get(ELF, 1, out, 2)).toBe(3);
    expect(Array.from(out)).toEqual([0, 0, 1, 2, 3]);
    expect(() => store.get(ELF, 1, out, 3)).toThrow(/does not fit/);
    expect(store.get(ELF, 2, out, 0)).toBe(-1);
  });
});

describe('Store misuse and limits', () => {
  it('throws on use before mount, writes outside a transaction, nested begin and bad keys', () => {
    const store = new Store(new MemoryFlash(4));
    expect(() => store.length(1, 1)).toThrow(/mount/);
    store.mount();
    expect(() => store.put(1, 1, new Uint8Array(1), 0, 1)).toThrow(/begin/);
    expect(() => store.commit()).toThrow(/begin/);
    store.begin();
    expect(() => store.begin()).toThrow(/already open/);
    expect(() => store.put(256, 1, new Uint8Array(1), 0, 1)).toThrow(/0\.\.255/);
    expect(() => store.remove(1, 65536)).toThrow(/0\.\.65535/);
    expect(() => store.put(1, 1, new Uint8Array(2), 1, 2)).toThrow(/invalid/);
    store.abort();
    store.abort();
  });

  it('refuses flash it cannot use', () => {
    expect(() => new Store(new MemoryFlash(2))).toThrow(/at least 3/);
  });

  it('returns false when the index is full, for new keys only, and the commit then fails', () => {
    const flash = new MemoryFlash(4);
    const store = mountStore(flash, 2);
    commitPuts(store, [
      [ELF, 1, [1]],
      [ELF, 2, [2]],
    ]);
    store.begin();
    expect(store.put(ELF, 1, Uint8Array.of(3), 0, 1)).toBe(true);
    expect(store.put(ELF, 3, Uint8Array.of(4), 0, 1)).toBe(false);
    expect(store.commit()).toBe(false);
    expect(dump(mountStore(flash, 2))).toBe('3:1=01\n3:2=02');
    store.begin();
    expect(store.reserve(1, 1)).toBe(false);
    expect(store.put(ELF, 1, Uint8Array.of(5), 0, 1)).toBe(true);
    expect(store.remove(ELF, 2)).toBe(true);
    expect(store.commit()).toBe(true);
    expect(dump(mountStore(flash, 2))).toBe('3:1=05');
  });
});

describe('damaged flash', () => {
  it('mount() refuses a committed record whose bytes changed on flash', () => {
    const flash = new MemoryFlash(4);
    const store = mountStore(flash);
    commitPuts(store, [
      [ELF, 1, [1, 2, 3, 4]],
      [ELF, 2, [5]],
    ]);
    const image = flash.snapshot();
    // First record of page 0: page header (16) + record header (12), then the value.
    image[16 + 12 + 1] ^= 0x40;
    expect(() => mountStore(new MemoryFlash(4, image))).toThrow(
      'store: flash image corrupt: page 0 offset 16: a damaged record with data after it (not a torn write)',
    );
  });
});
