/**
 * Tearing safety: a power cut at every program/erase of a scenario must leave, after reboot and
 * mount(), exactly the state before or after each transaction (docs/store.md "Recovery").
 */
import { describe, expect, it } from 'vitest';
import { MemoryFlash, PowerCutError } from '../../host/flash/memory-flash';
import { type Step, dump, mountStore, must, putAll, runWithEveryCut, value } from './_helpers';
import { checkStore } from '../../firmware/src/core/store/check';
import { KIND_TXN, LAYOUT_VERSION } from '../../firmware/src/core/store/_layout';

const PAGES = 8;
const ELF = 3;
const APP = 4;
const ELF_CHUNK = 0x40;
const LOAD_BLOCKS = 20;
const LOAD_BLOCK_LEN = 240;

/** A store holding a few committed keys, as the base image of a scenario. */
function baseImage(pages: number, fill: (store: ReturnType<typeof mountStore>) => void): Uint8Array {
  const flash = new MemoryFlash(pages);
  const store = mountStore(flash);
  fill(store);
  return flash.snapshot();
}

function someKeys(store: ReturnType<typeof mountStore>): void {
  store.begin();
  putAll(store, ELF, [1, 2, 3], 10, 40);
  putAll(store, APP, [1, 2], 20, 23);
  must(store.commit(), 'base commit');
}

describe('power cut at every program/erase', () => {
  it('keeps multi-record transactions atomic (puts, overwrites, removes)', () => {
    const steps: Step[] = [
      (store) => {
        store.begin();
        putAll(store, ELF, [2, 4, 5], 30, 100);
        must(store.remove(APP, 1), 'remove');
        must(store.commit(), 'commit 1');
      },
      (store) => {
        store.begin();
        putAll(store, APP, [1, 3], 40, 7);
        must(store.remove(ELF, 4), 'remove');
        must(store.remove(ELF, 1), 'remove');
        must(store.commit(), 'commit 2');
      },
    ];
    const summary = runWithEveryCut(baseImage(PAGES, someKeys), PAGES, steps);
    // A transaction's records wait in the store's record buffer and go to flash with its COMMIT
    // pair, in one program each (Log.pending).
    expect(summary.ops).toBe(2);
    // Cuts inside the first transaction leave the base state, cuts inside the second the first's.
    expect(summary.recoveredTo[0]).toBeGreaterThan(0);
    expect(summary.recoveredTo[1]).toBeGreaterThan(0);
  });

  it('keeps a 20-block GP LOAD (20 x 240 bytes, then the ELF record) all or nothing', () => {
    const load: Step = (store) => {
      store.begin();
      must(store.reserve(LOAD_BLOCKS + 1, LOAD_BLOCKS * LOAD_BLOCK_LEN + 40), 'reserve');
      for (let block = 0; block < LOAD_BLOCKS; block++) {
        must(store.put(ELF_CHUNK, block, value(block, LOAD_BLOCK_LEN), 0, LOAD_BLOCK_LEN), `LOAD block ${block}`);
      }
      must(store.put(ELF, 9, value(77, 40), 0, 40), 'ELF record');
      must(store.commit(), 'commit');
    };
    const summary = runWithEveryCut(baseImage(PAGES, someKeys), PAGES, [load]);
    // 21 records and the COMMIT, programmed four 240-byte blocks at a time (what the record buffer
    // holds), plus a page header: the load spans two pages.
    expect(summary.ops).toBeGreaterThanOrEqual(7);
    expect(summary.recoveredTo).toEqual([summary.ops, 0]);
  });

  it('keeps a load that was interrupted and aborted from reappearing after later commits', () => {
    const steps: Step[] = [
      (store) => {
        store.begin();
        putAll(store, ELF_CHUNK, [0, 1, 2, 3, 4], 50, LOAD_BLOCK_LEN);
        store.abort();
        store.begin();
        putAll(store, ELF, [7], 60, 40);
        must(store.commit(), 'commit after abort');
      },
    ];
    runWithEveryCut(baseImage(PAGES, someKeys), PAGES, steps);
  });
});

describe('torn page header', () => {
  /** A store whose head page (page 0) has less room than one 1000-byte record, and that record's value. */
  function nearlyFullPage(): { image: Uint8Array; big: Uint8Array } {
    const big = value(3, 1000);
    const image = baseImage(PAGES, (store) => {
      store.begin();
      // 16 + 4 x 1004 + a 40-byte COMMIT pair: 24 bytes of page 0 left.
      putAll(store, ELF, [1, 2, 3, 4], 1, 990);
      must(store.commit(), 'fill');
    });
    return { image, big };
  }

  it('is erased by mount(), which then keeps the old state and writes on', () => {
    const { image, big } = nearlyFullPage();
    const flash = new MemoryFlash(PAGES, image);
    const store = mountStore(flash);
    const before = dump(store);
    store.begin();
    must(store.put(ELF, 5, big, 0, 1000), 'put');
    flash.cutAfter(0);
    // The transaction's record (a TXN record, written at commit) does not fit page 0: the first
    // operation is page 1's header, torn.
    expect(() => store.commit()).toThrow(PowerCutError);
    flash.reboot();
    const torn = new Uint8Array(16);
    flash.read(4096, torn, 0, 16);
    expect(Array.from(torn.subarray(0, 8))).toEqual([0x54, 0x4a, LAYOUT_VERSION, 0, 0, 0, 0, 2]);
    expect(Array.from(torn.subarray(8))).toEqual(new Array(8).fill(0xff));

    const recovered = mountStore(flash);
    expect(dump(recovered)).toBe(before);
    flash.read(4096, torn, 0, 16);
    expect(Array.from(torn)).toEqual(new Array(16).fill(0xff));
    expect(checkStore(recovered).problems).toEqual([]);
    recovered.begin();
    must(recovered.put(ELF, 5, big, 0, 1000), 'put after recovery');
    must(recovered.commit(), 'commit after recovery');
    expect(mountStore(flash).length(ELF, 5) >= 0).toBe(true);
  });

  it('is erased at every cut point of a transaction that opens pages', () => {
    const { image } = nearlyFullPage();
    const step: Step = (store) => {
      store.begin();
      putAll(store, ELF, [5, 6, 7, 8, 9], 4, 1000);
      must(store.commit(), 'commit');
    };
    const summary = runWithEveryCut(image, PAGES, [step]);
    // Pages 1 and 2 are opened: their headers, 5 records and the COMMIT.
    expect(summary.ops).toBe(8);
  });
});

describe('torn record at the head', () => {
  it('seals the head page: later records go to a fresh page', () => {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    store.begin();
    putAll(store, ELF, [1], 1, 100);
    must(store.commit(), 'commit');
    store.begin();
    must(store.put(ELF, 2, value(2, 100), 0, 100), 'put');
    // The record goes to flash with the COMMIT pair, in one program: torn inside the record.
    flash.cutAfter(0);
    expect(() => store.commit()).toThrow(PowerCutError);
    flash.reboot();
    const recovered = mountStore(flash);
    expect(checkStore(recovered).problems).toEqual([]);
    recovered.begin();
    putAll(recovered, ELF, [3], 3, 100);
    must(recovered.commit(), 'commit after the torn record');
    // Page 1 now holds the new transaction's record right after its header.
    const head = new Uint8Array(1);
    flash.read(4096 + 16, head, 0, 1);
    expect(head[0]).toBe(KIND_TXN);
    expect(dump(mountStore(flash))).toBe(dump(recovered));
  });
});
