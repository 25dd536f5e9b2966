/**
 * On-flash layout of the journaled store (docs/store.md). All integers are big-endian; sequence
 * numbers are 31-bit (docs/portable-core.md). Unwritten bytes stay 0xFF, the erased state, so the
 * end of a page's records is the first record header that is all 0xFF.
 *
 * Flash is a ring of pages. The pages in use have consecutive page sequence numbers from the tail
 * (oldest) to the head (where records are appended); the page after the head is always erased
 * (the spare that compaction copies into).
 *
 *   page:  0            16                                                  pageSize
 *          +------------+----------+----------+-----+----------+------------+
 *          | header     | record   | record   | ... | record   | FF FF ...  |
 *          +------------+----------+----------+-----+----------+------------+
 *
 * The page header and record layouts are drawn above their parsers below.
 */
import type { Flash } from '../ports/flash';
import { shr } from '../bits';
import { copy, fill, readU16, readU31, writeU16, writeU31 } from '../bytes';
import { CRC16_INIT, crc16 } from './crc16';
import type { Crc32 } from './crc32';

/** Largest value one record holds (a GP LOAD block is at most 255 bytes). */
export const STORE_MAX_VALUE = 1024;

export const PAGE_HEADER_SIZE = 16;
/** A record's header; its value follows it in every layout. */
export const RECORD_HEADER_SIZE = 12;
/** Layout 4's CRC-32, after the value. */
export const RECORD_CRC32_SIZE = 4;
const RECORD_ALIGN = 4;

/**
 * 5: a small transaction is one TXN record (its records inside, one CRC-32), which commits it by
 * itself. 4: records carry a CRC-32 after their value (a native call on the board) instead of a
 * CRC-16 in their header. 3: tally records (TALLY_LEN_FLAG). 2: COMMIT pairs. Pages of older
 * layouts are read as they are (layouts 2 and 3 with the CRC-16) and never appended to: a page is
 * written in the layout it was opened with, and mount() seals an older head page, so new records
 * go to pages opened as layout 5; compaction copies an older page's records into layout 5 (or,
 * when layout 2 or 3 records would not fit, into a page of the older layout, sealed). Version 1
 * wrote single COMMITs; mount() refuses such images (docs/store.md).
 */
export const LAYOUT_VERSION = 5;
/** The first layout whose records carry a CRC-32. */
export const CRC32_LAYOUT = 4;
/** The first layout with TXN records. */
export const TXN_LAYOUT = 5;
/** A TXN record's trailer after its CRC-32: 4 zero bytes, which tell a whole write from a torn one. */
export const TXN_TRAILER_SIZE = 4;
/** What a TXN record adds after its records: the CRC-32 and the trailer. */
export const TXN_TAIL = RECORD_CRC32_SIZE + TXN_TRAILER_SIZE;
/** The oldest page layout mount() reads. */
export const OLDEST_LAYOUT_VERSION = 2;

/** Flash bytes a record with a value of `len` bytes occupies in a page of `version` (header, value, CRC-32, padding). */
export function recordSpaceIn(version: number, len: number): number {
  const crc = version >= CRC32_LAYOUT ? RECORD_CRC32_SIZE : 0;
  // Rounded up to RECORD_ALIGN with % rather than Math.floor: on Espruino a built-in's name is
  // found only after a miss in the global scope's list (~7 units with the firmware's globals).
  const n = RECORD_HEADER_SIZE + len + crc + RECORD_ALIGN - 1;
  return n - (n % RECORD_ALIGN);
}

/**
 * Flash bytes a record of a `len`-byte value occupies in the pages this firmware writes (layout
 * 4); never less than in an older page, so room and live bytes counted this way are upper bounds.
 */
export function recordSpace(len: number): number {
  // recordSpaceIn(LAYOUT_VERSION, len) written out: a commit asks this three times a record
  const n = RECORD_HEADER_SIZE + len + RECORD_CRC32_SIZE + RECORD_ALIGN - 1;
  return n - (n % RECORD_ALIGN);
}

export const MAX_RECORD_SPACE = recordSpace(STORE_MAX_VALUE);
export const COMMIT_VALUE_SIZE = 8;
/** One copy of a COMMIT record (layout 4). */
export const COMMIT_COPY_SPACE = recordSpace(COMMIT_VALUE_SIZE);
/** A COMMIT is written as a pair: the record, then its MIRROR copy, in one program operation. */
export const COMMIT_SPACE = 2 * COMMIT_COPY_SPACE;

export const KIND_PUT = 0x50;
export const KIND_DEL = 0x44;
export const KIND_COPY = 0x43;
export const KIND_BACKUP = 0x42;
export const KIND_COMMIT = 0xc3;
/** Second copy of a COMMIT; at least two bits away from every other kind. */
export const KIND_MIRROR = 0x4d;
/** A transaction in one record (layout 5); at least two bits away from every other kind. */
export const KIND_TXN = 0xb4;
/** A record inside a TXN record (never where a record starts). */
export const KIND_SUB = 0x3e;
export const ERASED = 0xff;

const MAGIC_0 = 0x54; // 'T'
const MAGIC_1 = 0x4a; // 'J'
/**
 * Set in a record's length field: a tally. Its CRC covers the header only and its value is a
 * unary counter, each byte 0xFF (unspent) until it is spent by programming it alone (store.ts
 * spendTally), so a count goes down by one flash program of one byte, outside any transaction.
 */
export const TALLY_LEN_FLAG = 0x8000;

const HDR_SEQ = 4;
const HDR_TAIL_SEQ = 8;
const HDR_PAGE_COUNT = 12;
const HDR_CRC = 14;

const REC_SEQ = 1;
const REC_TYPE = 5;
const REC_ID = 6;
const REC_LEN = 8;
const REC_CRC = 10;

const COMMIT_COUNT = RECORD_HEADER_SIZE;
const COMMIT_FIRST_PAGE_SEQ = RECORD_HEADER_SIZE + 2;
const COMMIT_FIRST_OFF = RECORD_HEADER_SIZE + 6;

/** Decoded page header fields (one instance per reader, reused). */
export class PageHeader {
  seq = 0;
  tailSeq = 0;
  pageCount = 0;
  version = 0;
}

export const HEADER_BLANK = 0;
export const HEADER_VALID = 1;
export const HEADER_INVALID = 2;

/** version: LAYOUT_VERSION, or an older one for a page of copies compaction could not convert. */
export function encodePageHeader(out: Uint8Array, seq: number, tailSeq: number, pageCount: number, version: number): void {
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = version & 0xff;
  out[3] = 0;
  writeU31(out, HDR_SEQ, seq);
  writeU31(out, HDR_TAIL_SEQ, tailSeq);
  writeU16(out, HDR_PAGE_COUNT, pageCount);
  writeU16(out, HDR_CRC, crc16(out, 0, HDR_CRC, CRC16_INIT));
}

/**
 * Page header (PAGE_HEADER_SIZE = 16):
 *
 *   0      2         3      4       8         12          14      16
 *   +------+---------+------+-------+---------+-----------+-------+
 *   | 'TJ' | version | 00   | seq   | tailSeq | pageCount | crc16 |
 *   +------+---------+------+-------+---------+-----------+-------+
 *   seq       this page's sequence number (its generation: +1 for every page opened)
 *   tailSeq   pages whose seq is below this are obsolete (compacted away, maybe not yet erased)
 *   crc16     CRC-16/CCITT over bytes 0..13
 *
 * Reads a page header from b[0..16). HEADER_BLANK: all 0xFF (the page may still hold a torn erase
 * or copies without their header, so callers check the whole page before writing); HEADER_INVALID:
 * torn or foreign; HEADER_VALID: h is filled (callers still compare version and pageCount).
 */
export function decodePageHeader(b: Uint8Array, h: PageHeader): number {
  let blank = true;
  for (let i = 0; i < PAGE_HEADER_SIZE; i++) if (b[i] !== ERASED) blank = false;
  if (blank) return HEADER_BLANK;
  if (b[0] !== MAGIC_0 || b[1] !== MAGIC_1 || b[3] !== 0) return HEADER_INVALID;
  if (crc16(b, 0, HDR_CRC, CRC16_INIT) !== readU16(b, HDR_CRC)) return HEADER_INVALID;
  const seq = readU31(b, HDR_SEQ);
  const tailSeq = readU31(b, HDR_TAIL_SEQ);
  if (seq < 1 || tailSeq < 1 || tailSeq > seq) return HEADER_INVALID;
  h.version = b[2];
  h.seq = seq;
  h.tailSeq = tailSeq;
  h.pageCount = readU16(b, HDR_PAGE_COUNT);
  return HEADER_VALID;
}

/**
 * True when the page header in b[0..16) can be a torn write of a valid one: programming clears
 * bits, so each bit set in the magic and in the version of some layout that writes page headers
 * (an older firmware's, on an image it left) is still set (a partly programmed byte holds the 1
 * bits of both its old 0xFF and its new value).
 */
export function isTornPageHeader(b: Uint8Array): boolean {
  if ((b[0] & MAGIC_0) !== MAGIC_0 || (b[1] & MAGIC_1) !== MAGIC_1) return false;
  for (let v = OLDEST_LAYOUT_VERSION; v <= LAYOUT_VERSION; v++) if ((b[2] & v) === v) return true;
  return false;
}

/**
 * Writes the record header into b[at .. at+12) (layout 4: bytes 10..11 zero); the value goes at
 * b[at+12 ..], then sealRecord(). lenField: the value's length, plus TALLY_LEN_FLAG for a tally.
 */
export function encodeRecordHeader(b: Uint8Array, at: number, kind: number, seq: number, type: number, id: number, lenField: number): void {
  // writeU31 and writeU16 written out: a call costs Espruino a scope, and a debit encodes four headers
  b[at] = kind & 0xff;
  b[at + REC_SEQ] = shr(seq, 24) & 0x7f;
  b[at + REC_SEQ + 1] = shr(seq, 16) & 0xff;
  b[at + REC_SEQ + 2] = shr(seq, 8) & 0xff;
  b[at + REC_SEQ + 3] = seq & 0xff;
  b[at + REC_TYPE] = type & 0xff;
  b[at + REC_ID] = shr(id, 8) & 0xff;
  b[at + REC_ID + 1] = id & 0xff;
  b[at + REC_LEN] = shr(lenField, 8) & 0xff;
  b[at + REC_LEN + 1] = lenField & 0xff;
  b[at + REC_CRC] = 0;
  b[at + REC_CRC + 1] = 0;
}

/** True when the record header at b[at..] is a tally's (TALLY_LEN_FLAG). */
export function isTallyHeader(b: Uint8Array, at: number): boolean {
  return readU16(b, at + REC_LEN) >= TALLY_LEN_FLAG;
}

/**
 * Programs the record held in b (value of `len` bytes, sealed for a page of `version`) at addr.
 * A tally's unspent bytes are left erased, so that each can be spent later (a byte is programmed
 * once between erases): its header and spent bytes are one program, its CRC-32 (layout 4) a
 * second. Any other record is one program, in address order.
 */
export function programRecord(flash: Flash, addr: number, b: Uint8Array, len: number, version: number): void {
  const crc = version >= CRC32_LAYOUT ? RECORD_CRC32_SIZE : 0;
  if (!isTallyHeader(b, 0)) {
    flash.program(addr, b, 0, RECORD_HEADER_SIZE + len + crc);
    return;
  }
  let n = 0;
  while (n < len && b[RECORD_HEADER_SIZE + n] !== ERASED) n++;
  flash.program(addr, b, 0, RECORD_HEADER_SIZE + n);
  if (crc > 0) flash.program(addr + RECORD_HEADER_SIZE + len, b, RECORD_HEADER_SIZE + len, crc);
}

/** Layouts 2 and 3: the CRC-16 of the record held in b[at .. at+12+len): the header, then the value unless it is a tally. */
function recordCrc16(b: Uint8Array, at: number, len: number): number {
  const header = crc16(b, at, REC_CRC, CRC16_INIT);
  return isTallyHeader(b, at) ? header : crc16(b, at + RECORD_HEADER_SIZE, len, header);
}

/**
 * Layout 4: writes the CRC-32 of the record held in b[at .. at+12+len) (a tally's: of its header
 * only) to b[at+12+len ..], right after the value, so that it covers one run of bytes.
 */
function sealRecordAt(b: Uint8Array, at: number, len: number, crc: Crc32): void {
  const covered = isTallyHeader(b, at) ? RECORD_HEADER_SIZE : RECORD_HEADER_SIZE + len;
  crc(b, at, covered, b, at + RECORD_HEADER_SIZE + len);
}

/**
 * Computes and stores the CRC-32 of the record held in b[at .. at+12+len) (layout 4), and fills
 * its padding with 0xFF (records prepared one after another are programmed together). space:
 * recordSpace(len); tally: the header is a tally's (isTallyHeader), whose CRC covers it alone.
 */
export function sealRecord(b: Uint8Array, at: number, len: number, space: number, tally: boolean, crc: Crc32): void {
  // sealRecordAt written out (a call costs Espruino a scope)
  crc(b, at, tally ? RECORD_HEADER_SIZE : RECORD_HEADER_SIZE + len, b, at + RECORD_HEADER_SIZE + len);
  const end = at + RECORD_HEADER_SIZE + len + RECORD_CRC32_SIZE;
  const pad = at + space - end;
  if (pad > 0) fill(b, end, pad, ERASED);
}

/**
 * Gives the record held in b (value of `len` bytes, as read from a page of any layout) a new kind
 * and seq, and seals it for a page of `version`: a layout 2/3 record copied into layout 4 takes
 * layout 4's header and CRC-32.
 */
export function restampRecord(b: Uint8Array, len: number, kind: number, seq: number, version: number, crc: Crc32): void {
  b[0] = kind & 0xff;
  writeU31(b, REC_SEQ, seq);
  if (version >= CRC32_LAYOUT) {
    b[REC_CRC] = 0;
    b[REC_CRC + 1] = 0;
    sealRecordAt(b, 0, len, crc);
  } else {
    writeU16(b, REC_CRC, recordCrc16(b, 0, len));
  }
}

/**
 * Writes the COMMIT pair of transaction `seq` into b[0 .. COMMIT_SPACE) (layout 4): the COMMIT,
 * then the same record as KIND_MIRROR with its own CRC. Either copy whole commits the transaction,
 * so one flipped bit in a COMMIT loses nothing (RecordReader.read() says when a damaged pair
 * still counts).
 */
export function encodeCommitPair(b: Uint8Array, at: number, seq: number, count: number, firstPageSeq: number, firstOff: number, crc: Crc32): void {
  encodeRecordHeader(b, at, KIND_COMMIT, seq, 0, 0, COMMIT_VALUE_SIZE);
  writeU16(b, at + COMMIT_COUNT, count);
  writeU31(b, at + COMMIT_FIRST_PAGE_SEQ, firstPageSeq);
  writeU16(b, at + COMMIT_FIRST_OFF, firstOff);
  sealRecordAt(b, at, COMMIT_VALUE_SIZE, crc);
  copy(b, at, b, at + COMMIT_COPY_SPACE, COMMIT_COPY_SPACE);
  b[at + COMMIT_COPY_SPACE] = KIND_MIRROR;
  sealRecordAt(b, at + COMMIT_COPY_SPACE, COMMIT_VALUE_SIZE, crc);
}

export const RECORD_OK = 0;
/** No record here: the header is erased, or there is no room left in the page for one. */
export const RECORD_END = 1;
/** Not a whole record: torn by a power cut, or corrupt. Nothing after it in the page is read. */
export const RECORD_BAD = 2;

/** Decoded record fields; the record bytes themselves stay in `buf` (header at 0, value at 12). */
export class RecordFields {
  kind = 0;
  seq = 0;
  type = 0;
  id = 0;
  len = 0;
  space = 0;
  count = 0;
  firstPageSeq = 0;
  firstOff = 0;
  /** The record is a tally (TALLY_LEN_FLAG); len is its value's length without the flag. */
  tally = false;
}

/**
 * Record, layout 4 (RECORD_HEADER_SIZE = 12, the value, its CRC-32, FF padding to a multiple of 4):
 *
 *   0      1       5      6      8      10      12             12+len   16+len
 *   +------+-------+------+------+------+-------+--------------+--------+
 *   | kind | seq   | type | id   | len  | 00 00 | value        | crc32  |
 *   +------+-------+------+------+------+-------+--------------+--------+
 *
 * Layouts 2 and 3 (read, never written but as compaction copies that do not fit layout 4):
 *
 *   0      1       5      6      8      10      12             12+len
 *   +------+-------+------+------+------+-------+--------------+
 *   | kind | seq   | type | id   | len  | crc16 | value        |
 *   +------+-------+------+------+------+-------+--------------+
 *
 *   kind   PUT / DEL: part of transaction `seq`, visible once its COMMIT is on flash;
 *          TXN (layout 5): transaction `seq` whole, below;
 *          COPY: a live value moved by compaction, valid by itself;
 *          BACKUP: a live value moved by compaction while transaction `seq` was open and had
 *          written the same key, valid only if that transaction never commits;
 *          COMMIT: ends transaction `seq`, value below; always followed by its MIRROR, the same
 *          record with kind MIRROR (and its own crc16): the pair takes COMMIT_SPACE = 40 bytes
 *   len    the value's length; TALLY_LEN_FLAG added for a tally (a PUT, or its COPY or BACKUP)
 *   crc32  CRC-32/ISO-HDLC (crc32.ts) over bytes 0..11 and the value, big-endian; a tally's over
 *          bytes 0..11 only (its value is spent byte by byte afterwards)
 *   crc16  CRC-16/CCITT over bytes 0..9 and the value; a tally's over bytes 0..9 only
 *
 * TXN record, layout 5 (kind TXN, type and id 0, len: the bytes of its records; TXN_TAIL after them):
 *
 *   0      1       5    6       8      10      12              12+len   16+len        20+len
 *   +------+-------+----+-------+------+-------+---------------+--------+-------------+
 *   | kind | seq   | 00 | 00 00 | len  | 00 00 | SUB records   | crc32  | 00 00 00 00 |
 *   +------+-------+----+-------+------+-------+---------------+--------+-------------+
 *   A whole transaction of puts, committed by the record itself: it counts when its CRC-32 (over
 *   bytes 0 .. 12+len) matches. Programmed in one operation, in address order, so the trailer is
 *   written only once everything before it is: a record whose CRC does not match is a torn write
 *   only while its trailer is still erased (mount.ts tornWrite), and damage otherwise.
 *
 * SUB record (inside a TXN record only; recordSpace(len) bytes, as a PUT of the value would take):
 *
 *   0      1       3       5      6      8      10      12             12+len   recordSpace(len)
 *   +------+-------+-------+------+------+------+-------+--------------+--------+
 *   | kind | back  | 00 00 | type | id   | len  | 00 00 | value        | FF ... |
 *   +------+-------+-------+------+------+------+-------+--------------+--------+
 *   back   its offset from the start of its TXN record (compaction finds the record by it)
 *   The index points at a SUB record like at any value record (the value at +12); compaction
 *   copies it as a COPY of the same size (RecordReader.readLive).
 *
 * COMMIT value (COMMIT_VALUE_SIZE = 8; type and id are 0):
 *
 *   0       2              6          8
 *   +-------+--------------+----------+
 *   | count | firstPageSeq | firstOff |
 *   +-------+--------------+----------+
 *   count                   PUT/DEL records of the transaction
 *   firstPageSeq, firstOff  page sequence number and offset of its first record
 *
 * Validates and decodes the record header in b[0..12) that sits at page offset `off` of a page of
 * `version`, checking that the record fits a page of `pageSize`. The value (and layout 4's CRC-32)
 * must then be read into b[12..] and passed to checkRecordCrc(). Returns RECORD_OK, RECORD_END or
 * RECORD_BAD.
 */
export function decodeRecordHeader(b: Uint8Array, off: number, pageSize: number, r: RecordFields, version: number): number {
  let blank = true;
  for (let i = 0; i < RECORD_HEADER_SIZE; i++) if (b[i] !== ERASED) blank = false;
  if (blank) return RECORD_END;
  const kind = b[0];
  const txn = kind === KIND_TXN && version >= TXN_LAYOUT;
  if (kind !== KIND_PUT && kind !== KIND_DEL && kind !== KIND_COPY && kind !== KIND_BACKUP && kind !== KIND_COMMIT && kind !== KIND_MIRROR && !txn) {
    return RECORD_BAD;
  }
  const seq = readU31(b, REC_SEQ);
  const lenField = readU16(b, REC_LEN);
  const tally = lenField >= TALLY_LEN_FLAG;
  const len = tally ? lenField - TALLY_LEN_FLAG : lenField;
  const crc32 = version >= CRC32_LAYOUT;
  const tail = txn ? TXN_TAIL : crc32 ? RECORD_CRC32_SIZE : 0;
  if (seq < 1 || len > STORE_MAX_VALUE || off + RECORD_HEADER_SIZE + len + tail > pageSize) return RECORD_BAD;
  if (crc32 && (b[REC_CRC] !== 0 || b[REC_CRC + 1] !== 0)) return RECORD_BAD;
  if (kind === KIND_DEL && len !== 0) return RECORD_BAD;
  if (tally && kind !== KIND_PUT && kind !== KIND_COPY && kind !== KIND_BACKUP) return RECORD_BAD;
  if ((kind === KIND_COMMIT || kind === KIND_MIRROR || txn) && (b[REC_TYPE] !== 0 || readU16(b, REC_ID) !== 0)) return RECORD_BAD;
  if ((kind === KIND_COMMIT || kind === KIND_MIRROR) && len !== COMMIT_VALUE_SIZE) return RECORD_BAD;
  r.kind = kind;
  r.seq = seq;
  r.type = b[REC_TYPE];
  r.id = readU16(b, REC_ID);
  r.len = len;
  r.space = recordSpaceIn(version, txn ? len + TXN_TRAILER_SIZE : len);
  r.tally = tally;
  return RECORD_OK;
}

/**
 * True when the CRC of the record in b (read from a page of `version`) matches; for a COMMIT or
 * MIRROR it also decodes the commit value into r. scratch: 4 bytes for layout 4's CRC-32.
 */
export function checkRecordCrc(b: Uint8Array, r: RecordFields, version: number, crc: Crc32, scratch: Uint8Array): boolean {
  if (version >= CRC32_LAYOUT) {
    const at = RECORD_HEADER_SIZE + r.len;
    crc(b, 0, r.tally ? RECORD_HEADER_SIZE : at, scratch, 0);
    if (scratch[0] !== b[at] || scratch[1] !== b[at + 1] || scratch[2] !== b[at + 2] || scratch[3] !== b[at + 3]) return false;
  } else if (recordCrc16(b, 0, r.len) !== readU16(b, REC_CRC)) {
    return false;
  }
  if (r.kind === KIND_COMMIT || r.kind === KIND_MIRROR) {
    r.count = readU16(b, COMMIT_COUNT);
    r.firstPageSeq = readU31(b, COMMIT_FIRST_PAGE_SEQ);
    r.firstOff = readU16(b, COMMIT_FIRST_OFF);
    if (r.firstPageSeq < 1) return false;
  }
  return true;
}
