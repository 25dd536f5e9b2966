/**
 * Reads one record from flash and validates it (layout in _layout.ts). Each reader has its own
 * buffer for the record, or one lent by a user never active at the same time, so a scan and a
 * nested replay use two readers and never clobber each other.
 * The buffer holds a record of up to the store's maxValue bytes; a longer one reads as RECORD_BAD
 * (this store never writes one).
 *
 * A COMMIT pair reads as one COMMIT record of COMMIT_SPACE bytes. The pair is one program
 * operation, so a power cut that tears it leaves its second half erased (or, on flash that tears
 * inside a byte run, partly written): the pair counts when the MIRROR is whole, or when the COMMIT
 * is whole and the MIRROR is not blank. A bit flipped in either copy thus loses nothing, and a
 * pair torn before its MIRROR began is not a commit.
 */
import type { Flash } from '../ports/flash';
import { copy } from '../bytes';
import type { Crc32 } from './crc32';
import {
  COMMIT_VALUE_SIZE,
  CRC32_LAYOUT,
  KIND_COMMIT,
  KIND_MIRROR,
  KIND_PUT,
  KIND_SUB,
  KIND_TXN,
  PAGE_HEADER_SIZE,
  RECORD_BAD,
  RECORD_END,
  RECORD_HEADER_SIZE,
  RECORD_CRC32_SIZE,
  RECORD_OK,
  RecordFields,
  checkRecordCrc,
  decodeRecordHeader,
  recordSpace,
  recordSpaceIn,
} from './_layout';

/** What a reader takes from its log (_log.ts Log). */
export interface ReaderLog {
  readonly flash: Flash;
  readonly maxValue: number;
  /** The layout of each page: it says how that page's records are checked. */
  readonly versions: Uint8Array;
  readonly crc: Crc32;
  /** 4 bytes for a computed CRC-32, shared by the log's readers (none reads inside another's read). */
  readonly crcBuf: Uint8Array;
}

export class RecordReader extends RecordFields {
  /** The last record read: header at 0, value at RECORD_HEADER_SIZE. */
  readonly buf: Uint8Array;
  private readonly flash: Flash;
  /** recordSpace(maxValue): a longer record reads as RECORD_BAD, whatever the buffer's size. */
  private readonly maxSpace: number;
  private readonly log: ReaderLog;

  /** buf, when given, is at least recordSpace(log.maxValue) bytes and free whenever this reader reads. */
  constructor(log: ReaderLog, buf?: Uint8Array) {
    super();
    this.log = log;
    this.flash = log.flash;
    this.maxSpace = recordSpace(log.maxValue);
    if (buf !== undefined && buf.length < this.maxSpace) throw new Error('RecordReader: buffer of ' + buf.length + ' bytes, records up to ' + this.maxSpace);
    this.buf = buf === undefined ? new Uint8Array(this.maxSpace) : buf;
  }

  /** Reads the record at page `phys`, offset `off`: RECORD_OK, RECORD_END or RECORD_BAD. */
  read(phys: number, off: number): number {
    const status = this.readOne(phys, off);
    if (status === RECORD_END || (status === RECORD_OK && this.kind !== KIND_COMMIT && this.kind !== KIND_MIRROR)) return status;
    // A MIRROR where a record starts is damage; a COMMIT, or a damaged record that may be one,
    // is decided by its pair.
    if (status === RECORD_OK && this.kind === KIND_MIRROR) return RECORD_BAD;
    return this.readCommitPair(phys, off, status === RECORD_OK);
  }

  private readCommitPair(phys: number, off: number, commitWhole: boolean): number {
    const copySpace = recordSpaceIn(this.log.versions[phys], COMMIT_VALUE_SIZE);
    if (off + 2 * copySpace > this.flash.pageSize) return RECORD_BAD;
    const seq = this.seq;
    const count = this.count;
    const firstPageSeq = this.firstPageSeq;
    const firstOff = this.firstOff;
    const mirrorOff = off + copySpace;
    if (this.readOne(phys, mirrorOff) === RECORD_OK && this.kind === KIND_MIRROR) {
      this.kind = KIND_COMMIT;
      this.space = 2 * copySpace;
      return RECORD_OK;
    }
    if (!commitWhole || this.isErased(phys, mirrorOff, mirrorOff + copySpace)) return RECORD_BAD;
    this.kind = KIND_COMMIT;
    this.seq = seq;
    this.type = 0;
    this.id = 0;
    this.len = COMMIT_VALUE_SIZE;
    this.space = 2 * copySpace;
    this.count = count;
    this.firstPageSeq = firstPageSeq;
    this.firstOff = firstOff;
    return RECORD_OK;
  }

  private readOne(phys: number, off: number): number {
    const pageSize = this.flash.pageSize;
    if (off + RECORD_HEADER_SIZE > pageSize) return RECORD_END;
    const addr = phys * pageSize + off;
    const log = this.log;
    const version = log.versions[phys];
    this.flash.read(addr, this.buf, 0, RECORD_HEADER_SIZE);
    const status = decodeRecordHeader(this.buf, off, pageSize, this, version);
    if (status !== RECORD_OK) return status;
    const rest = this.len + (version >= CRC32_LAYOUT ? RECORD_CRC32_SIZE : 0);
    if (RECORD_HEADER_SIZE + rest > this.maxSpace) return RECORD_BAD;
    this.flash.read(addr + RECORD_HEADER_SIZE, this.buf, RECORD_HEADER_SIZE, rest);
    return checkRecordCrc(this.buf, this, version, log.crc, log.crcBuf) ? RECORD_OK : RECORD_BAD;
  }

  /**
   * Reads the value record the index points at, (phys, off): as read(), or for a SUB record (inside
   * a TXN record, layout 5) its TXN record, checked whole, with the SUB record then moved to the
   * start of buf and read as a PUT of the TXN's seq. For compaction's copies and check().
   */
  readLive(phys: number, off: number): number {
    const b = this.buf;
    this.flash.read(phys * this.flash.pageSize + off, b, 0, RECORD_HEADER_SIZE);
    if (b[0] !== KIND_SUB) return this.read(phys, off);
    const back = (b[1] << 8) | b[2];
    if (back < RECORD_HEADER_SIZE || back > off - PAGE_HEADER_SIZE || this.read(phys, off - back) !== RECORD_OK || this.kind !== KIND_TXN) return RECORD_BAD;
    const end = RECORD_HEADER_SIZE + this.len;
    const len = back + RECORD_HEADER_SIZE <= end ? (b[back + 8] << 8) | b[back + 9] : -1;
    if (len < 0 || b[back] !== KIND_SUB || ((b[back + 1] << 8) | b[back + 2]) !== back || back + recordSpace(len) > end) return RECORD_BAD;
    // A move to lower offsets: set() copies as memmove does (bytes.ts copy)
    copy(b, back, b, 0, RECORD_HEADER_SIZE + len);
    this.kind = KIND_PUT;
    this.type = b[5];
    this.id = (b[6] << 8) | b[7];
    this.len = len;
    this.space = recordSpace(len);
    this.tally = false;
    return RECORD_OK;
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
