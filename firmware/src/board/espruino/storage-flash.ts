/**
 * Flash HAL (firmware/src/core/ports/flash.ts) on Espruino's Storage (docs/espruino.md "Storage";
 * src/jsflash.c jsfWriteFile):
 *
 * - one Storage file per 4 KB flash page, "tcf<page>", created on the first program of the page;
 * - erase(page) erases the file, so the page reads as 0xFF until it is created again;
 * - Storage files are write-once: write(name, data, offset) only fills bytes that are still 0xFF,
 *   which is exactly the NOR rule the HAL promises.
 *
 * Page file layout: [format byte 00][4096 data bytes]. Storage re-creates (empties) a file when
 * asked to write at offset 0 while any byte is already written, so data never lives at offset 0;
 * the format byte is written once, when the file is created.
 *
 * Reads go through readArrayBuffer(), a view on memory-mapped flash that costs no RAM copy. A few
 * views are cached (direct-mapped by page number: each costs ~4 JsVars, so not one per page); a
 * program of a page drops that page's view, and creating or erasing a file drops all of them
 * (creating may compact Storage, which moves files).
 *
 * The NOR-rule check before a program sums the target bytes with one native call (E.sum on the
 * board): all erased when the sum is 255 per byte. A loop over the bytes cost Espruino ~4
 * empty-loop times a byte, most of a record's write.
 */
import type { Flash } from '../../core/ports/flash';
import { copy, fill } from '../../core/bytes';
import type { EspruinoStorage } from './espruino-api';

/** The sum of the bytes of a view, in one call (espruino-api.ts byteSum: E.sum). */
export type ByteSum = (bytes: Uint8Array) => number;

export const FLASH_PAGE_SIZE = 4096;
/**
 * log2(FLASH_PAGE_SIZE): reads and programs find their page with a shift and their length with a
 * comparison, not Math.floor and Math.min; Espruino finds a built-in's name only after a miss in
 * the global scope's list (~7 units each with the firmware's globals).
 */
const PAGE_SHIFT = 12;
const FORMAT_BYTE_LEN = 1;
const FILE_SIZE = FORMAT_BYTE_LEN + FLASH_PAGE_SIZE;
const FORMAT_V0 = '\x00';
/** Page views kept (a power of two): a tap reads the purse's records from a few pages. */
const CACHED_VIEWS = 4;
/** absent[page] values. */
const UNKNOWN = 0;
const NO_FILE = 1;

export class StorageFlash implements Flash {
  readonly pageSize = FLASH_PAGE_SIZE;
  readonly pageCount: number;
  private readonly storage: EspruinoStorage;
  private readonly sum: ByteSum;
  private readonly prefix: string;
  /** views[page % CACHED_VIEWS]: the data bytes of page viewPages[same], or null. */
  private readonly views: (Uint8Array | null)[] = [];
  private readonly viewPages = new Int8Array(CACHED_VIEWS);
  /** NO_FILE when the page was seen without a file (reads 0xFF) since the last file was created or erased. */
  private readonly absent: Uint8Array;

  constructor(storage: EspruinoStorage, filePrefix: string, pageCount: number, sum: ByteSum) {
    if (pageCount > 127) throw new Error('flash: at most 127 pages, got ' + pageCount);
    this.storage = storage;
    this.prefix = filePrefix;
    this.sum = sum;
    this.pageCount = pageCount;
    this.absent = new Uint8Array(pageCount);
    for (let i = 0; i < CACHED_VIEWS; i++) this.views.push(null);
    this.viewPages.fill(-1);
  }

  read(addr: number, out: Uint8Array, outOff: number, len: number): void {
    // Within one page (every record the store reads but a compaction's): no loop and no
    // checkRange call. A negative addr makes a page number past pageCount, so checkRange throws.
    let page = addr >>> PAGE_SHIFT;
    if (len >= 0 && (addr & (FLASH_PAGE_SIZE - 1)) + len <= FLASH_PAGE_SIZE && page < this.pageCount) {
      const view = this.pageView(page);
      if (view === null) fill(out, outOff, len, 0xff);
      else copy(view, addr & (FLASH_PAGE_SIZE - 1), out, outOff, len);
      return;
    }
    this.checkRange(addr, len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      page = a >>> PAGE_SHIFT;
      const off = a - page * FLASH_PAGE_SIZE;
      const n = len - done < FLASH_PAGE_SIZE - off ? len - done : FLASH_PAGE_SIZE - off;
      const view = this.pageView(page);
      if (view === null) fill(out, outOff + done, n, 0xff);
      else copy(view, off, out, outOff + done, n);
      done += n;
    }
  }

  program(addr: number, data: Uint8Array, off: number, len: number): void {
    // Within one page (a commit's record, a tally byte): as read()
    if (len >= 0 && (addr & (FLASH_PAGE_SIZE - 1)) + len <= FLASH_PAGE_SIZE && addr >>> PAGE_SHIFT < this.pageCount) {
      this.programPage(addr >>> PAGE_SHIFT, addr & (FLASH_PAGE_SIZE - 1), data, off, len);
      return;
    }
    this.checkRange(addr, len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const page = a >>> PAGE_SHIFT;
      const pageOff = a - page * FLASH_PAGE_SIZE;
      const n = len - done < FLASH_PAGE_SIZE - pageOff ? len - done : FLASH_PAGE_SIZE - pageOff;
      this.programPage(page, pageOff, data, off + done, n);
      done += n;
    }
  }

  erase(page: number): void {
    if (page < 0 || page >= this.pageCount) throw new Error('flash erase: page ' + page + ' outside 0..' + (this.pageCount - 1));
    this.storage.erase(this.prefix + page);
    this.dropAllViews();
  }

  private programPage(page: number, pageOff: number, data: Uint8Array, off: number, n: number): void {
    const view = this.pageView(page);
    if (view === null) {
      this.createPage(page);
    } else if (this.sum(view.subarray(pageOff, pageOff + n)) !== 0xff * n) {
      let i = 0;
      while (view[pageOff + i] === 0xff) i++;
      throw new Error('flash program: byte ' + (page * FLASH_PAGE_SIZE + pageOff + i) + ' is not erased');
    }
    this.storage.write(this.prefix + page, data.subarray(off, off + n), FORMAT_BYTE_LEN + pageOff);
    this.views[page & (CACHED_VIEWS - 1)] = null;
  }

  private createPage(page: number): void {
    const name = this.prefix + page;
    if (this.storage.read(name, 0, 1) !== undefined) this.storage.erase(name); // wrong size: not ours
    this.storage.write(name, FORMAT_V0, 0, FILE_SIZE);
    this.dropAllViews();
  }

  /** The page's data bytes, or null if the page has no file (erased). */
  private pageView(page: number): Uint8Array | null {
    const slot = page & (CACHED_VIEWS - 1);
    const cached = this.views[slot];
    if (cached !== null && this.viewPages[slot] === page) return cached;
    if (this.absent[page] === NO_FILE) return null;
    const buffer = this.storage.readArrayBuffer(this.prefix + page);
    if (buffer === undefined || buffer.byteLength !== FILE_SIZE) {
      this.absent[page] = NO_FILE;
      return null;
    }
    const view = new Uint8Array(buffer, FORMAT_BYTE_LEN, FLASH_PAGE_SIZE);
    this.views[slot] = view;
    this.viewPages[slot] = page;
    return view;
  }

  private dropAllViews(): void {
    for (let i = 0; i < CACHED_VIEWS; i++) this.views[i] = null;
    this.absent.fill(UNKNOWN);
  }

  private checkRange(addr: number, len: number): void {
    if (addr < 0 || len < 0 || addr + len > this.pageCount * FLASH_PAGE_SIZE) {
      throw new Error('flash: range ' + addr + '+' + len + ' outside ' + this.pageCount * FLASH_PAGE_SIZE + ' bytes');
    }
  }
}
