/**
 * Store layout versions (docs/store.md "Versions"): images written by an older firmware mount as
 * they are (layouts 2 and 3 read with their CRC-16), and move to the current layout (5: CRC-32
 * records and TXN records) as compaction copies their pages; power cuts during that move leave the
 * old state or the new. The fixtures are images the layout 3 firmware wrote (commit 59c8516) and
 * the layout 4 firmware wrote (commit 74fb5bb), in test/store/fixtures, with the state each held.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { checkStore } from '../../firmware/src/core/store/check';
import { crc16, CRC16_INIT } from '../../firmware/src/core/store/crc16';
import { KIND_COMMIT, KIND_MIRROR, KIND_TXN, LAYOUT_VERSION, PAGE_HEADER_SIZE } from '../../firmware/src/core/store/_layout';
import { dump, mountStore, must, putAll, runWithEveryCut } from './_helpers';

const PAGES = 4;
const ELF = 0x10;
const TALLY = 0x20;
const SMALL = 0x30;
const FIXTURES = path.join(__dirname, 'fixtures');

/** A fixture image and the state it holds. */
function fixture(name: string): { image: Uint8Array; dump: string; tallySpent?: number } {
  const image = new Uint8Array(fs.readFileSync(path.join(FIXTURES, `${name}.bin`)));
  return { image, ...JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) };
}

/** Layout version of each page with a header (by page order), '-' for a page without one. */
function pageVersions(flash: MemoryFlash): string {
  const image = flash.snapshot();
  let out = '';
  for (let page = 0; page < PAGES; page++) out += image[page * 4096] === 0x54 ? String(image[page * 4096 + 2]) : '-';
  return out;
}

/** The image with every page header rewritten as layout `version` (its CRC recomputed). */
function stampVersion(image: Uint8Array, version: number): Uint8Array {
  const out = image.slice();
  const h = new Uint8Array(PAGE_HEADER_SIZE);
  for (let page = 0; page < PAGES; page++) {
    h.set(out.subarray(page * 4096, page * 4096 + PAGE_HEADER_SIZE));
    if (h[0] !== 0x54) continue;
    h[2] = version;
    const crc = crc16(h, 0, 14, CRC16_INIT);
    h[14] = crc >> 8;
    h[15] = crc & 0xff;
    out.set(h, page * 4096);
  }
  return out;
}

/** Transactions that rewrite the fixture's values until every page has been opened anew. */
function churn(store: ReturnType<typeof mountStore>, round: number): void {
  store.begin();
  putAll(store, ELF, [1, 2], 100 + round, 500);
  must(store.commit(), 'churn');
}

/** Mounts a fixture whose pages are all of `layout`: its state and tally must be as it was written. */
function mountFixture(name: string, layout: number): { f: ReturnType<typeof fixture>; flash: MemoryFlash; store: ReturnType<typeof mountStore> } {
  const f = fixture(name);
  const flash = new MemoryFlash(PAGES, f.image);
  expect(pageVersions(flash)).toMatch(new RegExp(`^[${layout}-]+$`));
  const store = mountStore(flash);
  expect(dump(store)).toBe(f.dump);
  expect(store.tallySpent(TALLY, 1)).toBe(f.tallySpent);
  expect(checkStore(store).problems).toEqual([]);
  return { f, flash, store };
}

describe('store layout versions', () => {
  it('mounts a layout 3 image as it was, tally included, and appends only to pages opened in the current layout', () => {
    const { f, flash, store } = mountFixture('layout3-ring', 3);
    // The old head page is sealed: the first new record opens a page of the current layout.
    const before = flash.snapshot();
    store.begin();
    putAll(store, ELF, [9], 1, 10);
    must(store.commit(), 'first');
    const after = flash.snapshot();
    for (let page = 0; page < PAGES; page++) {
      const changed = !Buffer.from(before.subarray(page * 4096, (page + 1) * 4096)).equals(after.subarray(page * 4096, (page + 1) * 4096));
      if (changed && after[page * 4096] !== 0xff) expect(after[page * 4096 + 2], `page ${page} written`).toBe(LAYOUT_VERSION);
    }
    expect(store.spendTally(TALLY, 1, -1)).toBe(f.tallySpent! + 1);
    expect(mountStore(flash).tallySpent(TALLY, 1)).toBe(f.tallySpent! + 1);
  });

  it('moves a layout 3 image to the current layout page by page as compaction copies it, the state kept', () => {
    const f = fixture('layout3-ring');
    const flash = new MemoryFlash(PAGES, f.image);
    const store = mountStore(flash);
    let round = 0;
    while (/3/.test(pageVersions(flash))) {
      churn(store, round++);
      expect(round).toBeLessThan(50);
    }
    expect(pageVersions(flash)).toMatch(new RegExp(`^[${LAYOUT_VERSION}-]+$`));
    const again = mountStore(flash);
    expect(checkStore(again).problems).toEqual([]);
    // The fixture's keys that churn did not rewrite kept their values, the tally its count.
    const kept = f.dump.split('\n').filter((l) => !l.startsWith(`${ELF}:1=`) && !l.startsWith(`${ELF}:2=`));
    const now = dump(again).split('\n');
    for (const line of kept) expect(now).toContain(line);
    expect(again.tallySpent(TALLY, 1)).toBe(f.tallySpent);
  });

  it('keeps a layout 2 page of small records that would not fit converted in a sealed page of its own layout', () => {
    // 250 live one-byte values: 16 bytes each in layout 2/3, 20 in layout 4 (5,000 > 4,080).
    const f = fixture('layout3-small');
    const flash = new MemoryFlash(PAGES, stampVersion(f.image, 2));
    expect(pageVersions(flash)).toBe('2---');
    const store = mountStore(flash, 400);
    expect(dump(store)).toBe(f.dump);
    // Until page 0 (the small records) has been compacted: its copies go to a page of layout 2.
    for (let round = 0; pageVersions(flash)[0] === '2'; round++) {
      churn(store, round);
      expect(round).toBeLessThan(40);
    }
    expect(pageVersions(flash).slice(1)).toContain('2');
    const again = mountStore(flash, 400);
    expect(checkStore(again).problems).toEqual([]);
    const now = dump(again).split('\n');
    for (const line of f.dump.split('\n')) expect(now).toContain(line);
    // Rewriting the small values (layout 4 records elsewhere) lets the old page go.
    for (let first = 0; first < 250; first += 50) {
      again.begin();
      for (let id = first; id < first + 50; id++) must(again.put(SMALL, id, Uint8Array.of(id ^ 0x5a), 0, 1), `put ${id}`);
      must(again.commit(), 'rewrite');
    }
    for (let r = 0; /2/.test(pageVersions(flash)); r++) {
      churn(again, 200 + r);
      expect(r).toBeLessThan(40);
    }
    expect(checkStore(mountStore(flash, 400)).problems).toEqual([]);
  });

  it('a power cut at any operation while a layout 3 image moves to the current layout leaves the state before or after each transaction', () => {
    const f = fixture('layout3-ring');
    const steps = [0, 1, 2, 3, 4, 5].map((round) => (s: ReturnType<typeof mountStore>) => churn(s, round));
    const summary = runWithEveryCut(f.image, PAGES, steps, true);
    expect(summary.erases).toBeGreaterThan(0);
  });

  it('a power cut at any operation while small layout 2 records are kept in their layout leaves the state before or after each transaction', () => {
    const f = fixture('layout3-small');
    const base = stampVersion(f.image, 2);
    // As many transactions as it takes to compact page 0, found on a copy first.
    const ref = new MemoryFlash(PAGES, base);
    const store = mountStore(ref);
    let rounds = 0;
    while (pageVersions(ref)[0] === '2' && rounds < 40) churn(store, rounds++);
    const steps = Array.from({ length: rounds }, (_, round) => (s: ReturnType<typeof mountStore>) => churn(s, round));
    expect(pageVersions(ref).slice(1)).toContain('2');
    runWithEveryCut(base, PAGES, steps);
  });

  it('mounts a layout 4 image as it was (COMMIT pairs, tally), seals its head page and commits TXN records in layout 5 pages beside it', () => {
    const { f, flash, store } = mountFixture('layout4-ring', 4);
    const before = flash.snapshot();
    store.begin();
    putAll(store, SMALL, [40, 41], 5, 30);
    must(store.commit(), 'first TXN');
    // One TXN record (header, two 48-byte SUB records, CRC and trailer) in a page opened in layout 5
    // (the layout 4 head page is sealed; opening the page compacted the ring's tail into it).
    const after = flash.snapshot();
    const head = store.log.headPhys;
    expect(before[head * 4096]).toBe(0xff);
    expect(after[head * 4096 + 2]).toBe(LAYOUT_VERSION);
    const txnAt = head * 4096 + store.log.headOff - (12 + 2 * 48 + 8);
    expect(after[txnAt]).toBe(KIND_TXN);
    expect(pageVersions(flash)).toMatch(/4.*5|5.*4/);
    // Mixed pages mount: layout 4's COMMIT pairs and layout 5's TXN records.
    const again = mountStore(flash);
    const lines = dump(again).split('\n');
    for (const line of f.dump.split('\n')) expect(lines).toContain(line);
    expect(lines.filter((l) => l.startsWith(`${SMALL}:40=`) || l.startsWith(`${SMALL}:41=`)).length).toBe(2);
    expect(checkStore(again).problems).toEqual([]);
    expect(again.spendTally(TALLY, 1, f.tallySpent!)).toBe(f.tallySpent! + 1);
    expect(mountStore(flash).tallySpent(TALLY, 1)).toBe(f.tallySpent! + 1);
  });

  it('moves a layout 4 image to layout 5 as compaction copies its pages, COMMIT pairs and TXN records side by side meanwhile', () => {
    const f = fixture('layout4-ring');
    const flash = new MemoryFlash(PAGES, f.image);
    const store = mountStore(flash);
    let round = 0;
    let mixedSeen = false;
    while (/4/.test(pageVersions(flash))) {
      // Small transactions (TXN records) and 500-byte ones (too big for one: PUTs and a COMMIT pair)
      if (round % 2 === 0) churn(store, round);
      else {
        store.begin();
        putAll(store, SMALL, [round % 4], 300 + round, 20);
        must(store.commit(), 'small');
      }
      round++;
      if (/4/.test(pageVersions(flash)) && /5/.test(pageVersions(flash))) {
        mixedSeen = true;
        expect(checkStore(mountStore(flash)).problems).toEqual([]);
      }
      expect(round).toBeLessThan(60);
    }
    expect(mixedSeen).toBe(true);
    expect(pageVersions(flash)).toMatch(/^[5-]+$/);
    const again = mountStore(flash);
    expect(checkStore(again).problems).toEqual([]);
    expect(dump(again)).toBe(dump(store));
    expect(again.tallySpent(TALLY, 1)).toBe(f.tallySpent);
    // The image holds both record kinds of layout 5's transactions.
    const image = flash.snapshot();
    expect(image.includes(KIND_TXN)).toBe(true);
    expect(image.includes(KIND_COMMIT) && image.includes(KIND_MIRROR)).toBe(true);
  });

  it('a power cut at any operation while a layout 4 image takes TXN records and moves to layout 5 leaves the state before or after each transaction', () => {
    const f = fixture('layout4-ring');
    const steps = [0, 1, 2, 3, 4, 5, 6, 7].map((round) => (s: ReturnType<typeof mountStore>) => {
      if (round % 2 === 0) churn(s, round);
      else {
        s.begin();
        putAll(s, SMALL, [round % 4, 9], 300 + round, 20);
        must(s.commit(), 'small');
      }
    });
    const summary = runWithEveryCut(f.image, PAGES, steps, true);
    expect(summary.erases).toBeGreaterThan(0);
  });

  it('refuses an image of a later layout, writing nothing', () => {
    const f = fixture('layout3-ring');
    const flash = new MemoryFlash(PAGES, stampVersion(f.image, LAYOUT_VERSION + 1));
    const image = flash.snapshot();
    expect(() => mountStore(flash)).toThrow(new RegExp(`written by layout ${LAYOUT_VERSION + 1}`));
    expect(flash.snapshot()).toEqual(image);
  });
});
