/**
 * The open transaction as the log and compaction see it: its sequence number, where its first
 * record is, how many it has written, and which keys it wrote (a 256-bit filter, confirmed by
 * walking its records). Compaction asks touches(): the committed value of a key the open
 * transaction rewrites is copied as a BACKUP, which stops counting once the transaction commits.
 *
 * It also keeps the key, address and length of its first KEPT_RECORDS records, so commit()
 * applies a transaction of that many records without reading them back from flash (each read
 * back costs a flash read and a CRC over the value: on Espruino ~6 empty-loop times a byte).
 */
import { shr } from '../bits';
import { fill } from '../bytes';
import { storeKey } from './_index';
import type { Log } from './_log';
import { KIND_DEL, KIND_PUT, PAGE_HEADER_SIZE, RECORD_OK } from './_layout';
import type { RecordReader } from './_reader';

const FILTER_BYTES = 32;
/** Records whose place the transaction keeps in RAM (8 bytes each). */
export const KEPT_RECORDS = 16;
/**
 * Kept entry: type(1) | id(2) | flash address(3) | value length(2), DEL_LEN for a remove |
 * index position of the key when the record was written(2), NO_HINT when it had none.
 */
export const KEPT_ENTRY = 10;
const K_ADDR = 3;
const K_LEN = 6;
export const K_HINT = 8;
export const NO_HINT = 0xffff;
/** A length no value has (STORE_MAX_VALUE is 1024): the record is a remove. */
export const DEL_LEN = 0xffff;

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
  /**
   * KEPT_ENTRY bytes per record. While the transaction is packed (store.ts: its records wait in
   * the record buffer as one TXN record), only each record's hint is set (at K_HINT).
   */
  readonly kept: Uint8Array;

  /** walker: a reader free whenever compaction runs (Log.walker). */
  constructor(walker: RecordReader) {
    this.filter = new Uint8Array(FILTER_BYTES);
    this.walker = walker;
    this.kept = new Uint8Array(KEPT_RECORDS * KEPT_ENTRY);
  }

  begin(seq: number): void {
    this.seq = seq;
    this.count = 0;
    this.firstPhys = -1;
    this.firstPageSeq = 0;
    this.firstOff = 0;
    fill(this.filter, 0, FILTER_BYTES, 0); // one native call: a byte loop costs Espruino ~3 units a byte
  }

  end(): void {
    this.seq = 0;
  }

  /**
   * Records that the transaction wrote (type, id) at page `phys` (sequence pageSeq), offset `off`,
   * flash address `addr`: a PUT of a `len`-byte value, or a DEL when len is DEL_LEN. hint: the
   * key's index position at the time (-1 when it had none), which commit tries first.
   */
  noteRecord(type: number, id: number, len: number, addr: number, phys: number, pageSeq: number, off: number, hint: number): void {
    if (this.count === 0) {
      this.firstPhys = phys;
      this.firstPageSeq = pageSeq;
      this.firstOff = off;
    }
    if (this.count < KEPT_RECORDS) {
      // writeU16/writeU24 written out: a call costs Espruino a scope, and a debit writes three records
      const k = this.kept;
      const at = this.count * KEPT_ENTRY;
      k[at] = type;
      k[at + 1] = shr(id, 8) & 0xff;
      k[at + 2] = id & 0xff;
      k[at + K_ADDR] = shr(addr, 16) & 0xff;
      k[at + K_ADDR + 1] = shr(addr, 8) & 0xff;
      k[at + K_ADDR + 2] = addr & 0xff;
      k[at + K_LEN] = shr(len, 8) & 0xff;
      k[at + K_LEN + 1] = len & 0xff;
      const h = hint < 0 || hint >= NO_HINT ? NO_HINT : hint;
      k[at + K_HINT] = shr(h, 8) & 0xff;
      k[at + K_HINT + 1] = h & 0xff;
    }
    this.count++;
    const bit = filterBit(type * 65536 + id); // storeKey(type, id)
    this.filter[shr(bit, 3)] = this.filter[shr(bit, 3)] | (1 << (bit & 7));
  }

  /**
   * Applies the transaction's records from what it kept in RAM (count <= KEPT_RECORDS), in the
   * order they were written. Returns how many it applied.
   */
  applyKept(log: Log): number {
    const k = this.kept;
    const end = this.count * KEPT_ENTRY;
    let at = 0;
    let len = 0;
    let hint = 0;
    // readU16/readU24 written out (a call costs Espruino a scope; a debit applies three records)
    for (; at < end; at += KEPT_ENTRY) {
      len = (k[at + K_LEN] << 8) | k[at + K_LEN + 1];
      if (len === DEL_LEN) log.applyDel(k[at], (k[at + 1] << 8) | k[at + 2]);
      else {
        hint = (k[at + K_HINT] << 8) | k[at + K_HINT + 1];
        log.applyPut(k[at], (k[at + 1] << 8) | k[at + 2], (k[at + K_ADDR] << 16) | (k[at + K_ADDR + 1] << 8) | k[at + K_ADDR + 2], len, hint === NO_HINT ? -1 : hint);
      }
    }
    return this.count;
  }

  /**
   * True when the open transaction has written `key`. The filter rules most keys out; a hit is
   * confirmed by walking the transaction's records from its first to the head.
   */
  touches(key: number, pageCount: number, headPhys: number): boolean {
    // Nothing on flash yet (no record, or a packed transaction's records still in RAM)
    if (this.seq === 0 || this.firstPhys < 0) return false;
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
