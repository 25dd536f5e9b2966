/**
 * Flash in RAM with the NOR rules of Espruino Storage (docs/espruino.md "Storage"; core/ports/flash.ts):
 * a byte is programmed at most once between erases and only while it reads 0xFF; erase sets a
 * whole page to 0xFF. Breaking a rule throws FlashRuleError, so a store bug shows up on the host.
 *
 * Power-cut injection for recovery tests: cutAfter(n) lets n more program/erase operations
 * through, tears the next one and throws PowerCutError; from then on every operation (reads too)
 * throws PowerCutError until reboot(). The image survives the cut, as flash does.
 *   torn program: the first half of its bytes (rounded down) are written;
 *   torn erase:   the first half of the page reads 0xFF, the rest keeps its old contents.
 */
import type { Flash } from '../../firmware/src/core/ports/flash';

export const FLASH_PAGE_SIZE = 4096;

/** The power went off during or before this operation; contents persist, call reboot(). */
export class PowerCutError extends Error {
  constructor(op: string) {
    super(`power cut during ${op}`);
    this.name = 'PowerCutError';
  }
}

/** The caller broke a flash rule (programming a byte twice, or one that is not erased). */
export class FlashRuleError extends Error {
  readonly addr: number;
  constructor(message: string, addr: number) {
    super(message);
    this.name = 'FlashRuleError';
    this.addr = addr;
  }
}

export class MemoryFlash implements Flash {
  readonly pageSize = FLASH_PAGE_SIZE;
  readonly pageCount: number;
  /** Program and erase operations applied (whole or torn) since construction. */
  opCount = 0;
  programCount = 0;
  eraseCount = 0;
  private readonly image: Uint8Array;
  /** 1 where a byte has been programmed since its page was last erased. */
  private readonly programmed: Uint8Array;
  /** Operations left before the cut; -1 when no cut is armed. */
  private opsBeforeCut = -1;
  private poweredOff = false;

  /** A blank (all 0xFF) flash, or one holding a copy of `image` (e.g. a snapshot()). */
  constructor(pageCount: number, image?: Uint8Array) {
    if (!Number.isInteger(pageCount) || pageCount < 1) throw new RangeError(`pageCount must be a positive integer, got ${pageCount}`);
    this.pageCount = pageCount;
    const size = pageCount * FLASH_PAGE_SIZE;
    this.image = new Uint8Array(size).fill(0xff);
    this.programmed = new Uint8Array(size);
    if (image !== undefined) {
      if (image.length !== size) throw new RangeError(`image is ${image.length} bytes, expected ${size} (${pageCount} pages)`);
      this.image.set(image);
      // A byte that is not 0xFF has been programmed; an 0xFF byte may be programmed again.
      for (let i = 0; i < size; i++) if (image[i] !== 0xff) this.programmed[i] = 1;
    }
  }

  get size(): number {
    return this.image.length;
  }

  /** True between a cut and reboot(). */
  get isPoweredOff(): boolean {
    return this.poweredOff;
  }

  read(addr: number, out: Uint8Array, outOff: number, len: number): void {
    this.requirePower('read');
    this.checkRange(addr, len);
    if (outOff < 0 || outOff + len > out.length) throw new RangeError(`read: out[${outOff}..${outOff + len}) outside ${out.length} bytes`);
    out.set(this.image.subarray(addr, addr + len), outOff);
  }

  program(addr: number, data: Uint8Array, off: number, len: number): void {
    this.requirePower('program');
    this.checkRange(addr, len);
    if (off < 0 || off + len > data.length) throw new RangeError(`program: data[${off}..${off + len}) outside ${data.length} bytes`);
    for (let i = 0; i < len; i++) {
      if (this.programmed[addr + i] !== 0 || this.image[addr + i] !== 0xff) {
        throw new FlashRuleError(
          `program: byte at ${addr + i} already programmed since its page was erased (reads 0x${this.image[addr + i].toString(16)})`,
          addr + i,
        );
      }
    }
    const torn = this.countOp();
    const n = torn ? Math.floor(len / 2) : len;
    this.image.set(data.subarray(off, off + n), addr);
    this.programmed.fill(1, addr, addr + n);
    this.programCount++;
    if (torn) this.cut('program');
  }

  erase(page: number): void {
    this.requirePower('erase');
    if (!Number.isInteger(page) || page < 0 || page >= this.pageCount) throw new RangeError(`erase: page ${page} outside 0..${this.pageCount - 1}`);
    const torn = this.countOp();
    const start = page * this.pageSize;
    const end = torn ? start + this.pageSize / 2 : start + this.pageSize;
    this.image.fill(0xff, start, end);
    this.programmed.fill(0, start, end);
    this.eraseCount++;
    if (torn) this.cut('erase');
  }

  /** The (n+1)-th program/erase from now is torn and the power stays off until reboot(). */
  cutAfter(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`cutAfter: n must be a non-negative integer, got ${n}`);
    this.opsBeforeCut = n;
  }

  /** Power back on: clears the cut (armed or happened); contents persist. */
  reboot(): void {
    this.opsBeforeCut = -1;
    this.poweredOff = false;
  }

  /** A copy of the whole image. */
  snapshot(): Uint8Array {
    return this.image.slice();
  }

  /** Counts one program/erase; true when it is the one to tear. */
  private countOp(): boolean {
    this.opCount++;
    if (this.opsBeforeCut < 0) return false;
    if (this.opsBeforeCut === 0) return true;
    this.opsBeforeCut--;
    return false;
  }

  private cut(op: string): never {
    this.opsBeforeCut = -1;
    this.poweredOff = true;
    throw new PowerCutError(op);
  }

  private requirePower(op: string): void {
    if (this.poweredOff) throw new PowerCutError(op);
  }

  private checkRange(addr: number, len: number): void {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0 || addr + len > this.image.length) {
      throw new RangeError(`flash range ${addr}+${len} outside 0..${this.image.length}`);
    }
  }
}
