/**
 * Reads one record from flash and validates it (layout in _layout.ts). Each reader owns the buffer
 * the record lands in, so a scan and a nested replay use two readers and never clobber each other.
 * The buffer holds a record of up to the store's maxValue bytes; a longer one reads as RECORD_BAD
 * (this store never writes one).
 */
import type { Flash } from '../ports/flash';
import {
  RECORD_BAD,
  RECORD_END,
  RECORD_HEADER_SIZE,
  RECORD_OK,
  RecordFields,
  checkRecordCrc,
  decodeRecordHeader,
  recordSpace,
} from './_layout';

export class RecordReader extends RecordFields {
  /** The last record read: header at 0, value at RECORD_HEADER_SIZE. */
  readonly buf: Uint8Array;
  private readonly flash: Flash;

  constructor(flash: Flash, maxValue: number) {
    super();
    this.flash = flash;
    this.buf = new Uint8Array(recordSpace(maxValue));
  }

  /** Reads the record at page `phys`, offset `off`: RECORD_OK, RECORD_END or RECORD_BAD. */
  read(phys: number, off: number): number {
    const pageSize = this.flash.pageSize;
    if (off + RECORD_HEADER_SIZE > pageSize) return RECORD_END;
    const addr = phys * pageSize + off;
    this.flash.read(addr, this.buf, 0, RECORD_HEADER_SIZE);
    const status = decodeRecordHeader(this.buf, off, pageSize, this);
    if (status !== RECORD_OK) return status;
    if (RECORD_HEADER_SIZE + this.len > this.buf.length) return RECORD_BAD;
    this.flash.read(addr + RECORD_HEADER_SIZE, this.buf, RECORD_HEADER_SIZE, this.len);
    return checkRecordCrc(this.buf, this) ? RECORD_OK : RECORD_BAD;
  }

  /** True when flash bytes [off, end) of page `phys` are all erased (0xFF). */
  isErased(phys: number, off: number, end: number): boolean {
    const base = phys * this.flash.pageSize;
    let at = off;
    while (at < end) {
      const n = end - at < this.buf.length ? end - at : this.buf.length;
      this.flash.read(base + at, this.buf, 0, n);
      for (let i = 0; i < n; i++) if (this.buf[i] !== 0xff) return false;
      at += n;
    }
    return true;
  }
}
