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
 * Reads go through readArrayBuffer(), a view on memory-mapped flash that costs no RAM copy. Views
 * are cached per page; a program of a page drops that page's view, and creating or erasing a file
 * drops all of them (creating may compact Storage, which moves files).
 */
import type { Flash } from '../../core/ports/flash';
import { copy, fill } from '../../core/bytes';
import type { EspruinoStorage } from './espruino-api';

export const FLASH_PAGE_SIZE = 4096;
const FORMAT_BYTE_LEN = 1;
const FILE_SIZE = FORMAT_BYTE_LEN + FLASH_PAGE_SIZE;
const FORMAT_V0 = '\x00';

export class StorageFlash implements Flash {
  readonly pageSize = FLASH_PAGE_SIZE;
  readonly pageCount: number;
  private readonly storage: EspruinoStorage;
  private readonly names: string[] = [];
  /** views[page]: the page's data bytes, or null when not looked up since the last change. */
  private readonly views: (Uint8Array | null)[] = [];
  /** True when the page has no file (reads 0xFF), valid while views[page] is looked up. */
  private readonly absent: boolean[] = [];

  constructor(storage: EspruinoStorage, filePrefix: string, pageCount: number) {
    this.storage = storage;
    this.pageCount = pageCount;
    for (let p = 0; p < pageCount; p++) {
      this.names.push(filePrefix + p);
      this.views.push(null);
      this.absent.push(false);
    }
  }

  read(addr: number, out: Uint8Array, outOff: number, len: number): void {
    this.checkRange(addr, len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const page = Math.floor(a / FLASH_PAGE_SIZE);
      const off = a - page * FLASH_PAGE_SIZE;
      const n = Math.min(len - done, FLASH_PAGE_SIZE - off);
      const view = this.pageView(page);
      if (view === null) fill(out, outOff + done, n, 0xff);
      else copy(view, off, out, outOff + done, n);
      done += n;
    }
  }

  program(addr: number, data: Uint8Array, off: number, len: number): void {
    this.checkRange(addr, len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const page = Math.floor(a / FLASH_PAGE_SIZE);
      const pageOff = a - page * FLASH_PAGE_SIZE;
      const n = Math.min(len - done, FLASH_PAGE_SIZE - pageOff);
      this.programPage(page, pageOff, data, off + done, n);
      done += n;
    }
  }

  erase(page: number): void {
    if (page < 0 || page >= this.pageCount) throw new Error('flash erase: page ' + page + ' outside 0..' + (this.pageCount - 1));
    this.storage.erase(this.names[page]);
    this.dropAllViews();
  }

  private programPage(page: number, pageOff: number, data: Uint8Array, off: number, n: number): void {
    const view = this.pageView(page);
    if (view === null) {
      this.createPage(page);
    } else {
      for (let i = 0; i < n; i++) {
        if (view[pageOff + i] !== 0xff) {
          throw new Error('flash program: byte ' + (page * FLASH_PAGE_SIZE + pageOff + i) + ' is not erased');
        }
      }
    }
    this.storage.write(this.names[page], data.subarray(off, off + n), FORMAT_BYTE_LEN + pageOff);
    this.views[page] = null;
  }

  private createPage(page: number): void {
    const name = this.names[page];
    if (this.storage.read(name, 0, 1) !== undefined) this.storage.erase(name); // wrong size: not ours
    this.storage.write(name, FORMAT_V0, 0, FILE_SIZE);
    this.dropAllViews();
  }

  /** The page's data bytes, or null if the page has no file (erased). */
  private pageView(page: number): Uint8Array | null {
    const cached = this.views[page];
    if (cached !== null) return cached;
    if (this.absent[page]) return null;
    const buffer = this.storage.readArrayBuffer(this.names[page]);
    if (buffer === undefined || buffer.byteLength !== FILE_SIZE) {
      this.absent[page] = true;
      return null;
    }
    const view = new Uint8Array(buffer, FORMAT_BYTE_LEN, FLASH_PAGE_SIZE);
    this.views[page] = view;
    return view;
  }

  private dropAllViews(): void {
    for (let p = 0; p < this.pageCount; p++) {
      this.views[p] = null;
      this.absent[p] = false;
    }
  }

  private checkRange(addr: number, len: number): void {
    if (addr < 0 || len < 0 || addr + len > this.pageCount * FLASH_PAGE_SIZE) {
      throw new Error('flash: range ' + addr + '+' + len + ' outside ' + this.pageCount * FLASH_PAGE_SIZE + ' bytes');
    }
  }
}
