/**
 * Flash kept in a file, for an emulated SE that outlives its process (`tapcard se serve --state
 * DIR`). The file is the raw image, pageCount * 4096 bytes; a new file starts erased (all 0xFF).
 * Reads come from RAM; every program and erase is written through to the file at its position
 * before the call returns. The NOR rules are MemoryFlash's.
 */
import fs from 'node:fs';
import type { Flash } from '../../firmware/src/core/ports/flash';
import { FLASH_PAGE_SIZE, MemoryFlash } from './memory-flash';

export class FileFlash implements Flash {
  readonly pageSize = FLASH_PAGE_SIZE;
  readonly pageCount: number;
  readonly path: string;
  private readonly memory: MemoryFlash;
  private readonly erasedPage: Uint8Array;
  private fd: number;

  /** Opens the image at `path`, creating an erased one when the file does not exist. */
  constructor(path: string, pageCount: number) {
    if (!Number.isInteger(pageCount) || pageCount < 1) throw new RangeError(`pageCount must be a positive integer, got ${pageCount}`);
    const size = pageCount * FLASH_PAGE_SIZE;
    this.path = path;
    this.pageCount = pageCount;
    this.erasedPage = new Uint8Array(FLASH_PAGE_SIZE).fill(0xff);
    if (fs.existsSync(path)) {
      const actual = fs.statSync(path).size;
      if (actual !== size) {
        throw new Error(`flash image ${path} is ${actual} bytes, expected ${size} (${pageCount} pages of ${FLASH_PAGE_SIZE})`);
      }
      this.memory = new MemoryFlash(pageCount, fs.readFileSync(path));
      // The image holds the SE's keys: readable by its owner only, even if it was copied in wider.
      if ((fs.statSync(path).mode & 0o077) !== 0) fs.chmodSync(path, 0o600);
    } else {
      fs.writeFileSync(path, new Uint8Array(size).fill(0xff), { flag: 'wx', mode: 0o600 });
      this.memory = new MemoryFlash(pageCount);
    }
    this.fd = fs.openSync(path, 'r+');
  }

  read(addr: number, out: Uint8Array, outOff: number, len: number): void {
    this.memory.read(addr, out, outOff, len);
  }

  program(addr: number, data: Uint8Array, off: number, len: number): void {
    this.requireOpen();
    this.memory.program(addr, data, off, len);
    fs.writeSync(this.fd, data, off, len, addr);
  }

  erase(page: number): void {
    this.requireOpen();
    this.memory.erase(page);
    fs.writeSync(this.fd, this.erasedPage, 0, FLASH_PAGE_SIZE, page * FLASH_PAGE_SIZE);
  }

  /** Flushes the file to disk and closes it; later writes throw. */
  close(): void {
    if (this.fd < 0) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private requireOpen(): void {
    if (this.fd < 0) throw new Error(`flash image ${this.path} is closed`);
  }
}
