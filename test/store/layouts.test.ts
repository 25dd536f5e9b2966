/**
 * Store layout versions (docs/store.md "Versions"): images written by an older firmware mount as
 * they are, are read with their CRC-16, and move to layout 4 (CRC-32) as compaction copies their
 * pages; power cuts during that move leave the old state or the new. The fixtures are images the
 * layout 3 firmware wrote (commit 59c8516, test/store/fixtures), with the state each held.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { checkStore } from '../../firmware/src/core/store/check';
import { crc16, CRC16_INIT } from '../../firmware/src/core/store/crc16';
import { LAYOUT_VERSION, PAGE_HEADER_SIZE } from '../../firmware/src/core/store/_layout';
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

describe('store layout versions', () => {
  it('mounts a layout 3 image as it was, tally included, and appends only to pages opened in layout 4', () => {
    const f = fixture('layout3-ring');
    const flash = new MemoryFlash(PAGES, f.image);
    expect(pageVersions(flash)).toMatch(/^[3-]+$/);
    const store = mountStore(flash);
    expect(dump(store)).toBe(f.dump);
    expect(store.tallySpent(TALLY, 1)).toBe(f.tallySpent);
    expect(checkStore(store).problems).toEqual([]);
    // The old head page is sealed: the first new record opens a page of layout 4.
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

  it('moves a layout 3 image to layout 4 page by page as compaction copies it, the state kept', () => {
    const f = fixture('layout3-ring');
    const flash = new MemoryFlash(PAGES, f.image);
    const store = mountStore(flash);
    let round = 0;
    while (/3/.test(pageVersions(flash))) {
      churn(store, round++);
      expect(round).toBeLessThan(50);
    }
    expect(pageVersions(flash)).toMatch(/^[4-]+$/);
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

  it('a power cut at any operation while a layout 3 image moves to layout 4 leaves the state before or after each transaction', () => {
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

  it('refuses an image of a later layout, writing nothing', () => {
    const f = fixture('layout3-ring');
    const flash = new MemoryFlash(PAGES, stampVersion(f.image, LAYOUT_VERSION + 1));
    const image = flash.snapshot();
    expect(() => mountStore(flash)).toThrow(new RegExp(`written by layout ${LAYOUT_VERSION + 1}`));
    expect(flash.snapshot()).toEqual(image);
  });
});
