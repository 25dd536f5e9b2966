/**
 * The open transaction as the log and compaction see it: its sequence number, where its first
 * record is, how many it has written, and which keys it wrote (a 256-bit filter, confirmed by
 * walking its records). Compaction asks touches(): the committed value of a key the open
 * transaction rewrites is copied as a BACKUP, which stops counting once the transaction commits.
 */
import { shr } from '../bits';
import type { Flash } from '../ports/flash';
import { storeKey } from './_index';
import { KIND_DEL, KIND_PUT, PAGE_HEADER_SIZE, RECORD_OK } from './_layout';
import { RecordReader } from './_reader';

const FILTER_BYTES = 32;

/** Bit of the key filter for `key` (0..255). */
function filterBit(key: number): number {
  return (key + shr(key, 8) * 7 + shr(key, 16) * 13) & 0xff;
}

export class OpenTxn {
  /** 0 while no transaction is open. */
  seq = 0;
  count = 0;
  /** Page of the first record; -1 until one is written. */
  firstPhys = -1;
  firstPageSeq = 0;
  firstOff = 0;
  private readonly filter: Uint8Array;
  private readonly walker: RecordReader;

  constructor(flash: Flash, maxValue: number) {
    this.filter = new Uint8Array(FILTER_BYTES);
    this.walker = new RecordReader(flash, maxValue);
  }

  begin(seq: number): void {
    this.seq = seq;
    this.count = 0;
    this.firstPhys = -1;
    this.firstPageSeq = 0;
    this.firstOff = 0;
    for (let i = 0; i < FILTER_BYTES; i++) this.filter[i] = 0;
  }

  end(): void {
    this.seq = 0;
  }

  /** Records that the transaction wrote (type, id) at page `phys` (sequence pageSeq), offset `off`. */
  noteRecord(type: number, id: number, phys: number, pageSeq: number, off: number): void {
    if (this.count === 0) {
      this.firstPhys = phys;
      this.firstPageSeq = pageSeq;
      this.firstOff = off;
    }
    this.count++;
    const bit = filterBit(storeKey(type, id));
    this.filter[shr(bit, 3)] = this.filter[shr(bit, 3)] | (1 << (bit & 7));
  }

  /**
   * True when the open transaction has written `key`. The filter rules most keys out; a hit is
   * confirmed by walking the transaction's records from its first to the head.
   */
  touches(key: number, pageCount: number, headPhys: number): boolean {
    if (this.seq === 0 || this.count === 0) return false;
    const bit = filterBit(key);
    if ((this.filter[shr(bit, 3)] & (1 << (bit & 7))) === 0) return false;
    const r = this.walker;
    let phys = this.firstPhys;
    let off = this.firstOff;
    for (;;) {
      if (r.read(phys, off) === RECORD_OK) {
        if (r.seq === this.seq && (r.kind === KIND_PUT || r.kind === KIND_DEL) && storeKey(r.type, r.id) === key) return true;
        off += r.space;
      } else {
        if (phys === headPhys) return false;
        phys = (phys + 1) % pageCount;
        off = PAGE_HEADER_SIZE;
      }
    }
  }
}
