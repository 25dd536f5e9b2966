/**
 * TXN records (store layout 5, docs/store.md "On flash"): a small transaction is one record (its
 * records inside as SUB records, one CRC-32, a 4-byte zero trailer) that commits itself, in one
 * program operation. A write torn at any byte leaves the old state or the new; a flipped bit
 * mounts to the last state or is refused; compaction copies the records inside; a transaction
 * that outgrows one record, or removes, or renews a tally, goes to flash as records and a COMMIT
 * pair instead.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { checkStore } from '../../firmware/src/core/store/check';
import { crc32 } from '../../firmware/src/core/store/crc32';
import { STORE_CORRUPT } from '../../firmware/src/core/store/store';
import {
  KIND_COMMIT,
  KIND_COPY,
  KIND_PUT,
  KIND_SUB,
  KIND_TXN,
  PAGE_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  TXN_TAIL,
  recordSpace,
} from '../../firmware/src/core/store/_layout';
import { type Step, dump, mountStore, must, putAll, runWithEveryCut, value } from './_helpers';

const PAGES = 4;
const PAGE = 4096;
const PURSE = 0x81;
const CM = 0x05;
const ELF = 0x10;
/** A purse debit's three records: STATE (31 bytes), a LOG record (23), the card-manager record (51). */
const DEBIT_RECORDS: [number, number, number][] = [
  [PURSE, 2, 31],
  [PURSE, 0x13, 23],
  [CM, 1, 51],
];
const TXN_SPACE = RECORD_HEADER_SIZE + DEBIT_RECORDS.reduce((n, [, , len]) => n + recordSpace(len), 0) + TXN_TAIL;

function debit(seed: number): Step {
  return (store) => {
    store.begin();
    for (const [type, id, len] of DEBIT_RECORDS) must(store.put(type, id, value(seed + id, len), 0, len), `put ${type}:${id}`);
    must(store.commit(), `debit ${seed}`);
  };
}

/** A store with a few committed values, then one debit: the image before and after it, and where its TXN record is. */
function oneDebit(): { before: Uint8Array; after: Uint8Array; at: number; state0: string; state1: string } {
  const flash = new MemoryFlash(PAGES);
  const store = mountStore(flash);
  store.begin();
  putAll(store, ELF, [1, 2], 7, 300);
  must(store.commit(), 'base');
  debit(1)(store);
  const before = flash.snapshot();
  const state0 = dump(store);
  const at = store.log.headPhys * PAGE + store.log.headOff;
  debit(2)(store);
  return { before, after: flash.snapshot(), at, state0, state1: dump(store) };
}

/** Mounts `image`: its state, or 'refused' when mount() refuses it as corrupt. */
function mounted(image: Uint8Array): string {
  try {
    const store = mountStore(new MemoryFlash(PAGES, image));
    const check = checkStore(store);
    return check.ok ? dump(store) : `check: ${check.problems[0]}`;
  } catch (e) {
    const message = (e as Error).message;
    if (message.startsWith(STORE_CORRUPT)) return 'refused';
    throw e;
  }
}

/** The store on `image` takes a transaction and keeps it across a mount. */
function expectWritable(image: Uint8Array, what: string): void {
  const flash = new MemoryFlash(PAGES, image);
  const store = mountStore(flash);
  debit(50)(store);
  expect(dump(mountStore(flash)), what).toBe(dump(store));
  expect(checkStore(mountStore(flash)).problems, what).toEqual([]);
}

describe('TXN records', () => {
  it('write a small transaction as one record in one program: header, SUB records, CRC-32, zero trailer', () => {
    const { after, at, state1 } = oneDebit();
    const flash = new MemoryFlash(PAGES, after);
    const store = mountStore(flash);
    expect(dump(store)).toBe(state1);
    const ops = flash.opCount;
    debit(3)(store);
    expect(flash.opCount - ops).toBe(1);
    // The record of debit 2
    const len = TXN_SPACE - RECORD_HEADER_SIZE - TXN_TAIL;
    expect(after[at]).toBe(KIND_TXN);
    expect((after[at + 8] << 8) | after[at + 9]).toBe(len);
    const crc = new Uint8Array(4);
    crc32(after, at, RECORD_HEADER_SIZE + len, crc, 0);
    expect(Array.from(after.subarray(at + RECORD_HEADER_SIZE + len, at + RECORD_HEADER_SIZE + len + 4))).toEqual(Array.from(crc));
    expect(Array.from(after.subarray(at + TXN_SPACE - 4, at + TXN_SPACE))).toEqual([0, 0, 0, 0]);
    let sub = RECORD_HEADER_SIZE;
    for (const [type, id, vlen] of DEBIT_RECORDS) {
      expect(after[at + sub]).toBe(KIND_SUB);
      expect((after[at + sub + 1] << 8) | after[at + sub + 2]).toBe(sub);
      expect([after[at + sub + 5], (after[at + sub + 6] << 8) | after[at + sub + 7], (after[at + sub + 8] << 8) | after[at + sub + 9]]).toEqual([type, id, vlen]);
      expect(Array.from(after.subarray(at + sub + RECORD_HEADER_SIZE, at + sub + RECORD_HEADER_SIZE + vlen))).toEqual(Array.from(value(2 + id, vlen)));
      sub += recordSpace(vlen);
    }
    expect(sub).toBe(RECORD_HEADER_SIZE + len);
    expect(after[at + TXN_SPACE]).toBe(0xff);
  });

  it('torn at every byte (and inside each byte): the old state until its CRC-32 is whole, then the new; never refused', () => {
    const { before, after, at, state0, state1 } = oneDebit();
    const crcEnd = TXN_SPACE - (TXN_TAIL - 4);
    for (let k = 0; k <= TXN_SPACE; k++) {
      const image = before.slice();
      image.set(after.subarray(at, at + k), at);
      const expected = k >= crcEnd ? state1 : state0;
      expect(mounted(image), `torn after ${k} of ${TXN_SPACE} bytes`).toBe(expected);
      if (k % 8 === 0 || k >= crcEnd - 4) expectWritable(image, `after a tear at byte ${k}`);
      if (k === TXN_SPACE) break;
      // Byte k partly programmed: some of the bits it clears are still set.
      const partial = after[at + k] | (~after[at + k] & 0xa5 & 0xff);
      if (partial !== after[at + k] && partial !== 0xff) {
        image[at + k] = partial;
        expect(mounted(image), `byte ${k} partly programmed`).toBe(expected);
      }
    }
  });

  it('a bit flipped anywhere in the last TXN record is refused (its trailer: no loss), never another state', () => {
    const { after, at, state1 } = oneDebit();
    const outcomes = { exact: 0, refused: 0 };
    for (let bit = at * 8; bit < (at + TXN_SPACE + 4) * 8; bit++) {
      const image = after.slice();
      image[bit >> 3] ^= 1 << (bit & 7);
      const got = mounted(image);
      const inTrailer = bit >= (at + TXN_SPACE - 4) * 8 && bit < (at + TXN_SPACE) * 8;
      if (got === state1) outcomes.exact++;
      else {
        expect(got, `bit ${bit - at * 8} of the record`).toBe('refused');
        expect(inTrailer, `bit ${bit - at * 8} of the record`).toBe(false);
        outcomes.refused++;
      }
    }
    // Every bit of the trailer and of the erased word after the record mounts the last state.
    expect(outcomes.exact).toBeGreaterThanOrEqual(64);
    expect(outcomes.refused).toBe((TXN_SPACE - 4) * 8);
  });

  it('a bit flipped in a TXN record that has records after it is refused', () => {
    const { after, at, state1 } = oneDebit();
    const flash = new MemoryFlash(PAGES, after);
    debit(3)(mountStore(flash));
    const image = flash.snapshot();
    const state = dump(mountStore(new MemoryFlash(PAGES, image)));
    expect(state).not.toBe(state1);
    for (let bit = at * 8; bit < (at + TXN_SPACE - 4) * 8; bit += 3) {
      const flipped = image.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      expect(mounted(flipped), `bit ${bit - at * 8}`).toBe('refused');
    }
  });

  it('whose CRC-32 checks but whose SUB records do not tile it are refused', () => {
    const { after, at } = oneDebit();
    const image = after.slice();
    // The second SUB record's back offset made wrong, the CRC-32 made to match.
    const len = TXN_SPACE - RECORD_HEADER_SIZE - TXN_TAIL;
    image[at + RECORD_HEADER_SIZE + recordSpace(31) + 2] ^= 4;
    crc32(image, at, RECORD_HEADER_SIZE + len, image, at + RECORD_HEADER_SIZE + len);
    expect(mounted(image)).toBe('refused');
  });

  it('survive a power cut at every operation of debits that go round the ring, compaction copying their records', () => {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    store.begin();
    putAll(store, ELF, [1, 2, 3], 7, 900);
    must(store.commit(), 'base');
    // Debits until the ring is nearly full, so that the steps below compact pages of TXN records.
    for (let t = 0; store.log.usedPages() < PAGES - 1 || store.log.headOff < PAGE - 600; t++) debit(100 + t)(store);
    const steps: Step[] = [];
    for (let t = 0; t < 10; t++) steps.push(debit(200 + t));
    steps.push((s) => {
      s.begin();
      putAll(s, ELF, [2], 9, 900);
      must(s.commit(), 'big');
    });
    const summary = runWithEveryCut(flash.snapshot(), PAGES, steps, true);
    expect(summary.erases).toBeGreaterThan(0);
  });

  it('compaction copies the live records inside TXN records as COPY records of the same size', () => {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    // Keys written once, inside TXN records on the first page, then churned past by others.
    store.begin();
    putAll(store, PURSE, [0x40, 0x41, 0x42], 3, 45);
    must(store.commit(), 'kept');
    const firstTxn = PAGE_HEADER_SIZE;
    expect(flash.snapshot()[firstTxn]).toBe(KIND_TXN);
    const erases = flash.eraseCount;
    for (let t = 0; flash.eraseCount === erases; t++) debit(t)(store);
    // Page 0 was compacted: its live SUB records went to the head page as COPY records.
    const image = flash.snapshot();
    const copies: number[] = [];
    const r = new Uint8Array(RECORD_HEADER_SIZE);
    for (let page = 0; page < PAGES; page++) {
      if (image[page * PAGE] !== 0x54) continue;
      for (let off = PAGE_HEADER_SIZE; off + RECORD_HEADER_SIZE <= PAGE && image[page * PAGE + off] !== 0xff; ) {
        r.set(image.subarray(page * PAGE + off, page * PAGE + off + RECORD_HEADER_SIZE));
        const len = ((r[8] << 8) | r[9]) & 0x7fff;
        if (r[0] === KIND_COPY && r[5] === PURSE && r[7] >= 0x40) copies.push(r[7]);
        off += r[0] === KIND_TXN ? recordSpace(len + 4) : r[0] === KIND_COMMIT ? 48 : recordSpace(len);
      }
    }
    expect(copies.sort()).toEqual([0x40, 0x41, 0x42]);
    for (const id of [0x40, 0x41, 0x42]) {
      const out = new Uint8Array(45);
      expect(store.get(PURSE, id, out, 0)).toBe(45);
      expect(Array.from(out)).toEqual(Array.from(value(3 + id, 45)));
    }
    expect(checkStore(store).problems).toEqual([]);
    expect(dump(mountStore(flash))).toBe(dump(store));
  });

  it('a transaction that outgrows one TXN record, removes, renews a tally or reserves goes to flash as records and a COMMIT pair', () => {
    const cases: [string, Step][] = [
      ['outgrows', (s) => {
        s.begin();
        putAll(s, ELF, [1, 2, 3, 4], 20, 300);
        must(s.commit(), 'big');
      }],
      ['removes', (s) => {
        s.begin();
        putAll(s, ELF, [5], 21, 20);
        must(s.remove(ELF, 1), 'remove');
        must(s.commit(), 'remove commit');
      }],
      ['renews a tally', (s) => {
        s.begin();
        putAll(s, ELF, [6], 22, 20);
        must(s.putTally(ELF, 7, 16), 'tally');
        must(s.commit(), 'tally commit');
      }],
      ['reserves', (s) => {
        s.begin();
        putAll(s, ELF, [8], 23, 20);
        must(s.reserve(1, 20), 'reserve');
        putAll(s, ELF, [9], 24, 20);
        must(s.commit(), 'reserve commit');
      }],
    ];
    for (const [what, step] of cases) {
      const flash = new MemoryFlash(PAGES);
      const store = mountStore(flash);
      debit(1)(store);
      const from = store.log.headPhys * PAGE + store.log.headOff;
      step(store);
      const image = flash.snapshot();
      expect(image[from], what).toBe(KIND_PUT);
      expect(image.subarray(from).includes(KIND_COMMIT), what).toBe(true);
      expect(dump(mountStore(flash)), what).toBe(dump(store));
      runWithEveryCut(new MemoryFlash(PAGES, image).snapshot(), PAGES, [debit(5), step]);
    }
  });

  it('reads see the committed state while a packed transaction is open, and an abort leaves no trace', () => {
    const flash = new MemoryFlash(PAGES);
    const store = mountStore(flash);
    debit(1)(store);
    const state = dump(store);
    const image = flash.snapshot();
    store.begin();
    must(store.put(PURSE, 2, value(9, 31), 0, 31), 'put');
    expect(dump(store)).toBe(state);
    store.abort();
    expect(flash.snapshot()).toEqual(image);
    debit(2)(store);
    expect(dump(mountStore(flash))).toBe(dump(store));
  });
});
