/**
 * The store's log state: where the tail and head pages are, where the next record goes, the RAM
 * index of committed values and how many live bytes each page holds. Buffers are allocated here,
 * once; nothing below allocates per operation. Layout: _layout.ts.
 */
import type { Flash } from '../ports/flash';
import { shr } from '../bits';
import { KeyIndex, storeKey } from './_index';
import type { Crc32 } from './crc32';
import {
  COMMIT_SPACE,
  COMMIT_VALUE_SIZE,
  LAYOUT_VERSION,
  MAX_RECORD_SPACE,
  PAGE_HEADER_SIZE,
  PageHeader,
  RECORD_CRC32_SIZE,
  RECORD_HEADER_SIZE,
  STORE_MAX_VALUE,
  programRecord,
  recordSpace,
} from './_layout';
import { RecordReader } from './_reader';
import { OpenTxn } from './_txn';

/** Index entries a Store holds unless told otherwise (8 bytes of RAM each). */
export const DEFAULT_MAX_KEYS = 1024;
/** Index addresses are 24-bit. */
const MAX_FLASH_BYTES = 16777216;
const MIN_PAGES = 3;

export class Log {
  readonly flash: Flash;
  readonly pageSize: number;
  readonly pageCount: number;
  readonly index: KeyIndex;
  /** Largest value a record of this store holds (at most STORE_MAX_VALUE); sizes every record buffer. */
  readonly maxValue: number;
  /** The record check of layout 4 (native on a board that has one). */
  readonly crc: Crc32;
  readonly crcBuf: Uint8Array;
  /**
   * The layout each page was written in (its header's version; LAYOUT_VERSION for a page without
   * one): readers check a page's records by it. Only pages of LAYOUT_VERSION are appended to.
   */
  readonly versions: Uint8Array;
  /** The record being written: header at 0, value at RECORD_HEADER_SIZE. */
  readonly out: Uint8Array;
  /** The page header being written or read, and its decoded fields. */
  readonly headerBuf: Uint8Array;
  readonly header: PageHeader;
  /**
   * Reads records for compaction copies, blank checks and a transaction's replay (at commit and
   * inside the mount's scan); none of these runs inside another.
   */
  readonly reader: RecordReader;
  /**
   * Reads records for the mount's scan and for the walk over an open transaction's records that
   * compaction asks for (OpenTxn.touches): mount opens no transaction and never compacts. Its
   * buffer is `out`, which is filled only after compaction has made room for the record.
   */
  readonly walker: RecordReader;
  /** The transaction being written, if any. */
  readonly txn: OpenTxn;
  /** Live (indexed) record bytes per page, 16-bit each (scanLog clears it). */
  readonly live: Uint8Array;
  /** log2(pageSize) when it is a power of two (a board's 4 KB pages), else -1: pageOf() shifts. */
  private readonly pageShift: number;

  /**
   * Bytes at the start of `out` prepared but not yet programmed: whole records (with their padding)
   * that belong at the head, just before headOff. A transaction's records wait here and go to
   * flash with the next one that does not fit, or with its COMMIT pair, in one program operation;
   * they are programmed before a page is opened (compaction reads the open transaction's records
   * from flash, and lends `out` to the walker) and dropped when the transaction is aborted.
   */
  pending = 0;
  /** -1 while the store holds no page. */
  headPhys = -1;
  headSeq = 0;
  /** Next record offset in the head page; pageSize once the page is full or sealed. */
  headOff = 0;
  tailPhys = -1;
  tailSeq = 0;

  constructor(flash: Flash, maxKeys: number, maxValue: number, crc: Crc32) {
    const pageSize = flash.pageSize;
    const pageCount = flash.pageCount;
    if (pageSize % 4 !== 0 || pageSize < PAGE_HEADER_SIZE + 2 * MAX_RECORD_SPACE || pageSize > 65536) {
      throw new Error(`store: page size ${pageSize} unsupported (multiple of 4, ${PAGE_HEADER_SIZE + 2 * MAX_RECORD_SPACE}..65536)`);
    }
    if (pageCount < MIN_PAGES || pageCount > 65535 || pageCount * pageSize > MAX_FLASH_BYTES) {
      throw new Error(`store: ${pageCount} pages of ${pageSize} bytes unsupported (at least ${MIN_PAGES}, at most 16 MiB)`);
    }
    if (maxKeys < 1 || maxKeys !== Math.floor(maxKeys)) throw new Error(`store: maxKeys must be a positive integer, got ${maxKeys}`);
    if (maxValue < COMMIT_VALUE_SIZE || maxValue > STORE_MAX_VALUE || maxValue !== Math.floor(maxValue)) {
      throw new Error(`store: maxValue must be ${COMMIT_VALUE_SIZE}..${STORE_MAX_VALUE}, got ${maxValue}`);
    }
    this.flash = flash;
    this.pageSize = pageSize;
    this.pageCount = pageCount;
    this.index = new KeyIndex(maxKeys);
    this.maxValue = maxValue;
    this.crc = crc;
    this.crcBuf = new Uint8Array(RECORD_CRC32_SIZE);
    this.versions = new Uint8Array(pageCount);
    this.versions.fill(LAYOUT_VERSION);
    // Also holds a COMMIT pair.
    this.out = new Uint8Array(recordSpace(maxValue) > COMMIT_SPACE ? recordSpace(maxValue) : COMMIT_SPACE);
    this.headerBuf = new Uint8Array(PAGE_HEADER_SIZE);
    this.header = new PageHeader();
    this.reader = new RecordReader(this);
    this.walker = new RecordReader(this, this.out);
    this.txn = new OpenTxn(this.walker);
    this.live = new Uint8Array(pageCount * 2);
    let shift = 0;
    while (shift < 16 && 1 << shift !== pageSize) shift++;
    this.pageShift = shift < 16 ? shift : -1;
  }

  /** Pages from tail to head. */
  usedPages(): number {
    return this.headPhys < 0 ? 0 : this.headSeq - this.tailSeq + 1;
  }

  pageOf(addr: number): number {
    // A shift, not Math.floor, for a power of two: Espruino finds a built-in's name only after a
    // miss in the global scope (~7 units)
    return this.pageShift >= 0 ? shr(addr, this.pageShift) : Math.floor(addr / this.pageSize);
  }

  /** Bytes left for records in the head page (0 when there is none). */
  headRoom(): number {
    return this.headPhys < 0 ? 0 : this.pageSize - this.headOff;
  }

  liveBytes(phys: number): number {
    return (this.live[phys * 2] << 8) | this.live[phys * 2 + 1];
  }

  setLiveBytes(phys: number, n: number): void {
    this.live[phys * 2] = shr(n, 8) & 0xff;
    this.live[phys * 2 + 1] = n & 0xff;
  }

  private addLive(addr: number, len: number, sign: number): void {
    // pageOf, liveBytes and setLiveBytes written out: a commit applies this twice a record, and
    // a call costs Espruino a scope
    const at = (this.pageShift >= 0 ? shr(addr, this.pageShift) : Math.floor(addr / this.pageSize)) * 2;
    const live = this.live;
    const n = ((live[at] << 8) | live[at + 1]) + sign * recordSpace(len);
    live[at] = shr(n, 8) & 0xff;
    live[at + 1] = n & 0xff;
  }

  /**
   * Makes the record at addr the committed value of (type, id). Throws when the index is full.
   * hint: where the key was in the index when the record was written (-1 when unknown); used
   * only when the entry there still holds the key, which spares the binary search.
   */
  applyPut(type: number, id: number, addr: number, len: number, hint: number): void {
    const key = type * 65536 + id; // storeKey(type, id)
    const index = this.index;
    const e = index.entries;
    let i = hint;
    // The entry read and rewritten in place, its page's live bytes with it (keyAt, addrAt, lenAt,
    // replaceAt and addLive written out: a commit applies every record, and a call costs Espruino
    // a scope)
    let at = i * 8;
    if (i < 0 || i >= index.count || ((e[at] << 16) | (e[at + 1] << 8) | e[at + 2]) !== key) {
      i = index.lowerBound(key);
      at = i * 8;
      if (i >= index.count || ((e[at] << 16) | (e[at + 1] << 8) | e[at + 2]) !== key) {
        index.insertAt(i, key, addr, len);
        this.addLive(addr, len, 1);
        return;
      }
    }
    const oldLen = (e[at + 6] << 8) | e[at + 7];
    const oldAt = (this.pageShift >= 0 ? shr((e[at + 3] << 16) | (e[at + 4] << 8) | e[at + 5], this.pageShift) : Math.floor(((e[at + 3] << 16) | (e[at + 4] << 8) | e[at + 5]) / this.pageSize)) * 2;
    const newAt = (this.pageShift >= 0 ? shr(addr, this.pageShift) : Math.floor(addr / this.pageSize)) * 2;
    e[at + 3] = shr(addr, 16) & 0xff;
    e[at + 4] = shr(addr, 8) & 0xff;
    e[at + 5] = addr & 0xff;
    e[at + 6] = shr(len, 8) & 0xff;
    e[at + 7] = len & 0xff;
    // A value of the same length on the same page leaves the page's live bytes as they are (a
    // purse's STATE, log and card-manager records have fixed lengths, and most debits find their
    // older versions on the head page)
    if (oldAt === newAt && oldLen === len) return;
    // recordSpace(oldLen) off the old page, recordSpace(len) onto the new one
    const live = this.live;
    let n = oldLen + RECORD_HEADER_SIZE + RECORD_CRC32_SIZE + 3;
    n = ((live[oldAt] << 8) | live[oldAt + 1]) - (n - (n % 4));
    live[oldAt] = shr(n, 8) & 0xff;
    live[oldAt + 1] = n & 0xff;
    n = len + RECORD_HEADER_SIZE + RECORD_CRC32_SIZE + 3;
    n = ((live[newAt] << 8) | live[newAt + 1]) + (n - (n % 4));
    live[newAt] = shr(n, 8) & 0xff;
    live[newAt + 1] = n & 0xff;
  }

  applyDel(type: number, id: number): void {
    const i = this.index.find(storeKey(type, id));
    if (i < 0) return;
    this.addLive(this.index.addrAt(i), this.index.lenAt(i), -1);
    this.index.removeAt(i);
  }

  /**
   * Where in `out` the next record, of `space` bytes, is prepared: after the pending ones, or at 0
   * once they are programmed (when it would not fit after them, and always when `alone`).
   */
  prepare(space: number, alone: boolean): number {
    if (alone || this.pending + space > this.out.length) this.flush();
    return this.pending;
  }

  /**
   * The record prepared at out[at..] (value of `len` bytes, sealed) is the head's next; returns its
   * address. It waits in `out` with the pending ones, but a tally (prepared alone) is programmed
   * at once: its unspent bytes stay erased, so it cannot share a program operation. The caller has
   * made sure it fits (headRoom() >= recordSpace(len)). space: recordSpace(len); tally: the
   * record is a tally (isTallyHeader).
   */
  append(at: number, len: number, space: number, tally: boolean): number {
    const addr = this.headPhys * this.pageSize + this.headOff;
    if (tally) programRecord(this.flash, addr, this.out, len, LAYOUT_VERSION);
    else this.pending = at + space;
    this.headOff += space;
    return addr;
  }

  /**
   * Programs the pending records and the COMMIT pair prepared after them at out[at..] in one
   * operation (a power cut tears it in address order: the pair is whole only if they are); returns
   * the pair's address.
   */
  appendCommitPair(at: number): number {
    const addr = this.headPhys * this.pageSize + this.headOff;
    this.flash.program(addr - at, this.out, 0, at + COMMIT_SPACE);
    this.pending = 0;
    this.headOff += COMMIT_SPACE;
    return addr;
  }

  /** Programs the pending records. */
  flush(): void {
    if (this.pending === 0) return;
    this.flash.program(this.headPhys * this.pageSize + this.headOff - this.pending, this.out, 0, this.pending);
    this.pending = 0;
  }

  /** Forgets the pending records (an aborted transaction's): their bytes were never programmed. */
  dropPending(): void {
    this.headOff -= this.pending;
    this.pending = 0;
  }
}
