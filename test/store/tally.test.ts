/**
 * Tally records (docs/store.md "Tallies"): a counter that goes down by one flash program of one
 * byte, outside any transaction, renewed by a transaction; power cuts leave it before or after.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { checkStore } from '../../firmware/src/core/store/check';
import { PAGE_HEADER_SIZE, RECORD_HEADER_SIZE } from '../../firmware/src/core/store/_layout';
import { mountStore, must, putAll, runWithEveryCut, value } from './_helpers';

const PAGES = 4;
const TALLY = 0x20;
const ELF = 0x10;

/** A store holding one plain value and a committed tally of `len` bytes at TALLY:1. */
function withTally(len: number): MemoryFlash {
  const flash = new MemoryFlash(PAGES);
  const store = mountStore(flash);
  store.begin();
  putAll(store, ELF, [1], 3, 40);
  must(store.putTally(TALLY, 1, len), 'putTally');
  must(store.commit(), 'commit');
  return flash;
}

describe('tally records', () => {
  it('count down by one one-byte program each, outside transactions, and stay counted across mount and compaction', () => {
    const flash = withTally(8);
    const store = mountStore(flash);
    expect(store.tallySpent(TALLY, 1)).toBe(0);
    for (let i = 1; i <= 3; i++) {
      const ops = flash.programCount;
      expect(store.spendTally(TALLY, 1, -1)).toBe(i);
      expect(flash.programCount - ops).toBe(1);
      expect(store.tallySpent(TALLY, 1)).toBe(i);
    }
    expect(mountStore(flash).tallySpent(TALLY, 1)).toBe(3);
    // Churn until the tally's page has been compacted away (its record copied to a new page).
    const erases = flash.eraseCount;
    for (let round = 0; flash.eraseCount === erases; round++) {
      store.begin();
      putAll(store, ELF, [2, 3, 4], round, 900);
      must(store.commit(), 'churn');
    }
    expect(store.tallySpent(TALLY, 1)).toBe(3);
    const again = mountStore(flash);
    expect(again.tallySpent(TALLY, 1)).toBe(3);
    expect(checkStore(again).problems).toEqual([]);
    expect(again.spendTally(TALLY, 1, -1)).toBe(4);
    expect(mountStore(flash).tallySpent(TALLY, 1)).toBe(4);
  });

  it('refuse a spend when every byte is spent, and a transaction renews them', () => {
    const store = mountStore(withTally(3));
    for (let i = 0; i < 3; i++) expect(store.spendTally(TALLY, 1, -1)).toBe(i + 1);
    expect(store.spendTally(TALLY, 1, -1)).toBe(-1);
    expect(store.tallySpent(TALLY, 1)).toBe(3);
    store.begin();
    must(store.putTally(TALLY, 1, 3), 'renew');
    expect(store.tallySpent(TALLY, 1)).toBe(3); // reads see committed state
    must(store.commit(), 'commit');
    expect(store.tallySpent(TALLY, 1)).toBe(0);
  });

  it('are not plain values: tallySpent is -1 and spendTally writes nothing for a plain value or a missing key; no spend inside a transaction', () => {
    const flash = withTally(4);
    const store = mountStore(flash);
    const programs = flash.programCount;
    expect(store.tallySpent(ELF, 1)).toBe(-1);
    expect(store.spendTally(ELF, 1, -1)).toBe(-1);
    expect(store.spendTally(ELF, 1, 0)).toBe(-1);
    expect(store.tallySpent(TALLY, 2)).toBe(-1);
    expect(store.spendTally(TALLY, 2, -1)).toBe(-1);
    expect(flash.programCount).toBe(programs);
    store.begin();
    expect(() => store.spendTally(TALLY, 1, -1)).toThrow(/transaction is open/);
    store.abort();
    expect(store.tallySpent(TALLY, 1)).toBe(0);
  });

  it('spend the byte the caller names after checking the bytes around it, and count when the caller is wrong', () => {
    const flash = withTally(6);
    const store = mountStore(flash);
    expect(store.spendTally(TALLY, 1, 0)).toBe(1);
    expect(store.spendTally(TALLY, 1, 1)).toBe(2);
    expect(store.tallySpent(TALLY, 1)).toBe(2);
    // Too few and too many spent bytes named: the store counts them and spends the first unspent one.
    expect(store.spendTally(TALLY, 1, 1)).toBe(3);
    expect(store.spendTally(TALLY, 1, 5)).toBe(4);
    expect(store.tallySpent(TALLY, 1)).toBe(4);
    expect(store.spendTally(TALLY, 1, 6)).toBe(5);
    expect(mountStore(flash).tallySpent(TALLY, 1)).toBe(5);
    expect(checkStore(mountStore(flash)).problems).toEqual([]);
  });

  it('count a partly programmed byte (a spend torn inside the byte) as spent, and spend on after it', () => {
    const flash = withTally(4);
    const store = mountStore(flash);
    expect(store.spendTally(TALLY, 1, -1)).toBe(1);
    // Where the tally's value starts: find its header's length field (tally flag, 4 bytes).
    const image = flash.snapshot();
    let at = -1;
    for (let a = PAGE_HEADER_SIZE; a + RECORD_HEADER_SIZE < image.length && at < 0; a++) {
      if (image[a] === 0x50 && image[a + 5] === TALLY && image[a + 8] === 0x80 && image[a + 9] === 4) at = a + RECORD_HEADER_SIZE;
    }
    expect(image[at]).toBe(0x00);
    expect(image[at + 1]).toBe(0xff);
    flash.program(at + 1, Uint8Array.of(0x7f), 0, 1);
    const after = mountStore(flash);
    expect(after.tallySpent(TALLY, 1)).toBe(2);
    expect(checkStore(after).problems).toEqual([]);
    expect(after.spendTally(TALLY, 1, -1)).toBe(3);
    expect(after.tallySpent(TALLY, 1)).toBe(3);
  });

  it('a power cut at any operation of spends and a renewing transaction leaves the state before or after each', () => {
    const base = withTally(4).snapshot();
    const summary = runWithEveryCut(base, PAGES, [
      (s) => must(s.spendTally(TALLY, 1, -1) > 0, 'spend'),
      (s) => must(s.spendTally(TALLY, 1, -1) > 0, 'spend'),
      (s) => {
        s.begin();
        must(s.put(ELF, 1, value(7, 40), 0, 40), 'put');
        must(s.putTally(TALLY, 1, 4), 'renew');
        must(s.commit(), 'commit');
      },
      (s) => must(s.spendTally(TALLY, 1, -1) > 0, 'spend'),
    ]);
    expect(summary.recoveredTo.every((n, k) => k === summary.recoveredTo.length - 1 || n > 0)).toBe(true);
  });
});
