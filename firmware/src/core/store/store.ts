/**
 * The SE's journaled key/value store over a Flash HAL (docs/store.md): keys are a record type
 * (0..255) and a 16-bit id, values 0..STORE_MAX_VALUE bytes. Writes are transactions: put/remove
 * records go to flash as they come (a GP LOAD writes each block as its APDU arrives) and become
 * visible together when commit() has written the COMMIT record whole. A power cut at any flash
 * operation leaves, after mount(), exactly the state before or after the transaction.
 *
 * Reads (get/length/nextId) always see committed state, also while a transaction is open.
 * put/remove/commit return false, never throw, when the flash or the index is full; misuse (put
 * outside a transaction, out-of-range arguments) throws. After the Flash itself throws (power
 * cut), the Store must be mount()ed again before use.
 *
 * Usage:
 *   const store = new Store(flash);
 *   store.mount();
 *   store.begin();
 *   if (!store.reserve(2, 300) || !store.put(REC_ELF, 7, buf, 0, 40) || !store.remove(REC_APP, 1) || !store.commit()) {
 *     store.abort(); // answer 6A84
 *   }
 */
import type { Flash } from '../ports/flash';
import { shr } from '../bits';
import { copy, fill } from '../bytes';
import { KeyIndex, storeKey } from './_index';
import { type Crc32, crc32 } from './crc32';
import { DEFAULT_MAX_KEYS, Log } from './_log';
import {
  COMMIT_SPACE,
  ERASED,
  KIND_DEL,
  KIND_PUT,
  KIND_SUB,
  KIND_TXN,
  RECORD_CRC32_SIZE,
  RECORD_HEADER_SIZE,
  STORE_MAX_VALUE,
  TALLY_LEN_FLAG,
  TXN_TAIL,
  encodeCommitPair,
  encodeRecordHeader,
  isTallyHeader,
  recordSpace,
  sealRecord,
} from './_layout';
import { replayTransaction } from './_replay';
import { DEL_LEN, KEPT_ENTRY, KEPT_RECORDS, K_HINT, NO_HINT, OpenTxn } from './_txn';
import { appendableBytes, fits, makeRoom, smallRoomAfter } from './compaction';
import { DAMAGE_NONE, ScanReport, damageText, eraseUnusedPages, scanLog } from './mount';

export { STORE_MAX_VALUE, recordSpace };
export type { Crc32 };

/**
 * Flash bytes puts leave free for transactions of removes: after any committed state, removes of
 * up to (STORE_DELETE_RESERVE - COMMIT_SPACE) / 16 keys (61) in one transaction always fit, so a full
 * store can still delete (GP DELETE) and get its space back.
 */
export const STORE_DELETE_RESERVE = 1024;
/** Most records one transaction may hold (the COMMIT counts them in 16 bits). */
export const STORE_MAX_TXN_RECORDS = 65535;
/** Start of the message mount() throws for damage a power cut cannot explain. */
export const STORE_CORRUPT = 'store: flash image corrupt: ';
/** Highest transaction sequence number (31-bit, docs/portable-core.md). */
const MAX_SEQ = 2147483646;

/**
 * The type's and the id's ranges in one call (a call costs Espruino a scope, and every get and put
 * checks both). % 1 rather than Math.floor (see recordSpaceIn): a put checks type and id twice.
 */
function checkKey(type: number, id: number): void {
  if (type < 0 || type > 255 || type % 1 !== 0) throw new Error(`store: record type must be 0..255, got ${type}`);
  if (id < 0 || id > 65535 || id % 1 !== 0) throw new Error(`store: id must be 0..65535, got ${id}`);
}

export class Store {
  /** The page log (the consistency check, check.ts, rescans it). */
  readonly log: Log;
  private readonly index: KeyIndex;
  private readonly report: ScanReport;
  /** The open transaction's position and keys (shared with compaction). */
  private readonly txn: OpenTxn;
  private mounted = false;
  private nextSeq = 1;
  /** A put/remove failed: the transaction can only be aborted. */
  private txnFailed = false;
  /** Puts of keys not in the index (an upper bound on the index entries commit adds). */
  private txnNewKeys = 0;
  /**
   * While the open transaction is packed: the end of its records in the record buffer (`out`),
   * where they wait as the body of one TXN record (layout 5) whose header goes at out[0..12);
   * 0 once it is not (its records go to flash one by one with a COMMIT pair).
   */
  private packEnd = 0;
  /** The largest TXN record: one record buffer, the most a reader reads. */
  private readonly packLimit: number;

  /**
   * maxKeys: committed keys the RAM index holds (8 bytes each); DEFAULT_MAX_KEYS when omitted.
   * maxValue: the largest value put() accepts, STORE_MAX_VALUE when omitted; two record buffers
   * of recordSpace(maxValue) bytes are held, and a longer record on flash reads as damaged.
   * crc: the records' CRC-32 (crc32.ts), the portable one when omitted; a board passes its native one.
   */
  constructor(flash: Flash, maxKeys?: number, maxValue?: number, crc?: Crc32) {
    this.log = new Log(
      flash,
      maxKeys === undefined ? DEFAULT_MAX_KEYS : maxKeys,
      maxValue === undefined ? STORE_MAX_VALUE : maxValue,
      crc === undefined ? crc32 : crc,
    );
    this.index = this.log.index;
    this.txn = this.log.txn;
    this.report = new ScanReport();
    this.packLimit = recordSpace(this.log.maxValue);
  }

  /**
   * Recovery at boot: finds the newest consistent state, drops uncommitted and torn records, rolls
   * an interrupted compaction back or forward. Also discards any open transaction. Throws
   * STORE_CORRUPT + where, writing nothing, when flash holds damage a power cut cannot explain
   * (flipped bits, overwritten pages): the state it would recover to might silently miss
   * committed data.
   */
  mount(): void {
    this.mounted = false;
    scanLog(this.log, this.log.walker, this.log.reader, this.report);
    if (this.report.damage !== DAMAGE_NONE) throw new Error(STORE_CORRUPT + damageText(this.report));
    eraseUnusedPages(this.log);
    this.nextSeq = this.report.maxSeq + 1;
    this.mounted = true;
  }

  /** Length of the committed value of (type, id), or -1 when there is none. */
  length(type: number, id: number): number {
    const i = this.findKey(type, id);
    return i < 0 ? -1 : this.index.lenAt(i);
  }

  /** Copies the committed value into out[outOff..]; returns its length, or -1 when there is none. */
  get(type: number, id: number, out: Uint8Array, outOff: number): number {
    const i = this.findKey(type, id);
    if (i < 0) return -1;
    const len = this.index.lenAt(i);
    if (outOff < 0 || outOff + len > out.length) {
      throw new Error(`store.get: value of ${len} bytes does not fit out[${outOff}..${out.length})`);
    }
    this.log.flash.read(this.index.addrAt(i) + RECORD_HEADER_SIZE, out, outOff, len);
    return len;
  }

  /** The smallest id of `type` above afterId (-1 to start), or -1 when there is none. */
  nextId(type: number, afterId: number): number {
    if (!this.mounted) throw new Error('store: mount() first');
    checkKey(type, 0);
    if (afterId >= 65535) return -1;
    const i = this.index.lowerBound(storeKey(type, afterId < 0 ? 0 : afterId + 1));
    if (i >= this.index.count) return -1;
    const key = this.index.keyAt(i);
    return shr(key, 16) === type ? key & 0xffff : -1;
  }

  begin(): void {
    if (!this.mounted) throw new Error('store: mount() first');
    if (this.txn.seq !== 0) throw new Error('store.begin: a transaction is already open');
    if (this.nextSeq > MAX_SEQ) throw new Error('store.begin: transaction sequence numbers exhausted');
    this.txn.begin(this.nextSeq);
    this.txnFailed = false;
    this.txnNewKeys = 0;
    // Packed until a record does not fit one TXN record (or is a remove or a tally, or reserve() is asked)
    this.packEnd = RECORD_HEADER_SIZE;
  }

  /**
   * True when `records` more records holding `valueBytes` value bytes in all, and the COMMIT, are
   * sure to fit (compaction included) with STORE_DELETE_RESERVE left over, so those puts and the
   * commit will not fail for space. Writes nothing: compaction happens page by page as records
   * are appended.
   */
  reserve(records: number, valueBytes: number): boolean {
    this.requireTxn('reserve');
    // Its promise counts records and a COMMIT pair: a TXN record may lose more at a page's end
    if (this.packEnd > 0) this.unpack();
    if (records < 0 || valueBytes < 0 || records > STORE_MAX_TXN_RECORDS - this.txn.count) return false;
    if (this.txnFailed || this.index.count + this.txnNewKeys + records > this.index.capacity) return false;
    const largestValue = valueBytes < this.log.maxValue ? valueBytes : this.log.maxValue;
    const largest = recordSpace(largestValue) > COMMIT_SPACE ? recordSpace(largestValue) : COMMIT_SPACE;
    // recordSpace(len) <= RECORD_HEADER_SIZE + len + RECORD_CRC32_SIZE + 3 (padding to 4). After
    // the last put, each put wants the COMMIT and the delete reserve appendable as small records
    // (smallRoomAfter).
    const need = records * (RECORD_HEADER_SIZE + RECORD_CRC32_SIZE + 3) + valueBytes + 2 * COMMIT_SPACE + STORE_DELETE_RESERVE;
    return fits(this.log, need, largest - 1, this.stopPage());
  }

  /** Writes (type, id) = data[off .. off+len) into the open transaction. False when full. */
  put(type: number, id: number, data: Uint8Array, off: number, len: number): boolean {
    if (!this.mounted || this.txn.seq === 0) this.requireTxn('put'); // throws (a call only then: a debit puts three times)
    // checkKey called only to throw: an integer in range is its own low bits (NaN, fractions and negatives are not)
    if ((type & 255) !== type || (id & 65535) !== id) checkKey(type, id);
    if (len < 0 || len > this.log.maxValue || off < 0 || off + len > data.length) {
      throw new Error(`store.put: value data[${off}..${off + len}) invalid (buffer ${data.length}, max ${this.log.maxValue})`);
    }
    const p = this.packEnd;
    const txn = this.txn;
    // recordSpace(len) written out (a call costs Espruino a scope)
    let space = RECORD_HEADER_SIZE + len + RECORD_CRC32_SIZE + 3;
    space -= space % 4;
    if (p === 0 || p + space + TXN_TAIL > this.packLimit || txn.count >= KEPT_RECORDS) {
      return this.writeRecord(KIND_PUT, type, id, data, off, len, false); // ends packing if it was on
    }
    // A SUB record in the packed transaction, here rather than in writeRecord (a call of seven
    // parameters; a debit puts three times). The key's index position (-1 when it has none) is
    // kept for commit; the TXN record it makes (if it commits now) must fit with the delete
    // reserve and a COMMIT pair after it, as a put's record must: smallRoomAfter's first test
    // (all of it in the head page) written out.
    const log = this.log;
    const hint = this.index.find(type * 65536 + id); // storeKey(type, id)
    if (
      this.txnFailed ||
      (hint < 0 && this.index.count + this.txnNewKeys >= this.index.capacity) ||
      (!(log.headPhys >= 0 && log.pageSize - log.headOff - p - space - TXN_TAIL - (COMMIT_SPACE - 1) >= STORE_DELETE_RESERVE + COMMIT_SPACE) &&
        !smallRoomAfter(log, p + space + TXN_TAIL, STORE_DELETE_RESERVE + COMMIT_SPACE, log.headPhys))
    ) {
      this.txnFailed = true;
      return false;
    }
    const out = log.out;
    // The SUB header (_layout.ts) written out
    out[p] = KIND_SUB;
    out[p + 1] = shr(p, 8) & 0xff;
    out[p + 2] = p & 0xff;
    out[p + 3] = 0;
    out[p + 4] = 0;
    out[p + 5] = type;
    out[p + 6] = shr(id, 8) & 0xff;
    out[p + 7] = id & 0xff;
    out[p + 8] = shr(len, 8) & 0xff;
    out[p + 9] = len & 0xff;
    out[p + 10] = 0;
    out[p + 11] = 0;
    copy(data, off, out, p + RECORD_HEADER_SIZE, len);
    fill(out, p + RECORD_HEADER_SIZE + len, space - RECORD_HEADER_SIZE - len, ERASED);
    const k = txn.kept;
    const h = txn.count * KEPT_ENTRY + K_HINT;
    k[h] = hint < 0 ? 0xff : shr(hint, 8) & 0xff;
    k[h + 1] = hint < 0 ? 0xff : hint & 0xff;
    txn.count++;
    this.packEnd = p + space;
    if (hint < 0) this.txnNewKeys++;
    return true;
  }

  /**
   * Writes (type, id) as a tally of `len` unspent bytes into the open transaction (a fresh tally
   * replaces the old one when the transaction commits). False when full.
   */
  putTally(type: number, id: number, len: number): boolean {
    this.requireTxn('putTally');
    checkKey(type, id);
    if (len < 1 || len > this.log.maxValue) throw new Error(`store.putTally: ${len} bytes (1..${this.log.maxValue})`);
    return this.writeRecord(KIND_PUT, type, id, this.log.out, 0, len, true);
  }

  /**
   * Spent bytes of the committed tally (type, id): those before its first unspent one. -1 when
   * there is no such record or it is not a tally.
   */
  tallySpent(type: number, id: number): number {
    const i = this.findKey(type, id);
    if (i < 0) return -1;
    const len = this.index.lenAt(i);
    // Not `out`: it may hold the open transaction's pending records (Log.pending).
    const b = this.log.reader.buf;
    this.log.flash.read(this.index.addrAt(i), b, 0, RECORD_HEADER_SIZE + len);
    if (!isTallyHeader(b, 0)) return -1;
    let n = 0;
    while (n < len && b[RECORD_HEADER_SIZE + n] !== ERASED) n++;
    return n;
  }

  /**
   * Spends one byte of the committed tally (type, id): its first unspent byte is programmed alone,
   * so a power cut leaves it unspent or spent (a partly programmed byte reads as spent). Not inside
   * a transaction: a tally is counted down between transactions and renewed by one (putTally).
   * spent: the tally's spent bytes as the caller knows them (tallySpent() and its spends since),
   * checked on flash by the bytes around it instead of counted (counted when they disagree, and
   * when spent is -1). Returns the tally's spent bytes after the spend; -1, nothing
   * written, when there is no such tally or all its bytes are spent.
   */
  spendTally(type: number, id: number, spent: number): number {
    if (this.txn.seq !== 0) throw new Error('store.spendTally: a transaction is open');
    const i = this.findKey(type, id);
    if (i < 0) return -1;
    // lenAt(i) and addrAt(i) written out (a call costs Espruino a scope: a purse spends a byte a debit)
    const e = this.index.entries;
    const at = i * 8;
    const len = (e[at + 6] << 8) | e[at + 7];
    const addr = (e[at + 3] << 16) | (e[at + 4] << 8) | e[at + 5];
    let n = -1;
    if (spent >= 0 && spent < len) {
      // The header (its tally flag) and the value up to byte `spent`: one read, no count.
      const r = this.log.reader.buf;
      this.log.flash.read(addr, r, 0, RECORD_HEADER_SIZE + spent + 1);
      if (isTallyHeader(r, 0) && r[RECORD_HEADER_SIZE + spent] === ERASED && (spent === 0 || r[RECORD_HEADER_SIZE + spent - 1] !== ERASED)) n = spent;
    }
    if (n < 0) n = this.tallySpent(type, id); // counted
    if (n < 0 || n >= len) return -1;
    const b = this.log.out;
    b[0] = 0;
    this.log.flash.program(addr + RECORD_HEADER_SIZE + n, b, 0, 1);
    return n + 1;
  }

  /** Deletes (type, id) in the open transaction (also when it has no value); may use the delete reserve. False when full. */
  remove(type: number, id: number): boolean {
    this.requireTxn('remove');
    checkKey(type, id);
    return this.writeRecord(KIND_DEL, type, id, this.log.out, 0, 0, false);
  }

  /**
   * Writes the COMMIT record and applies the transaction. False (and the transaction is dropped,
   * nothing changed) when a put/remove failed or the COMMIT does not fit.
   */
  commit(): boolean {
    if (!this.mounted || this.txn.seq === 0) this.requireTxn('commit'); // throws
    const txn = this.txn;
    if (this.txnFailed || txn.count === 0) {
      const ok = !this.txnFailed;
      this.abort();
      return ok;
    }
    const log = this.log;
    const end = this.packEnd;
    if (end > 0) {
      // One TXN record: header, the records, CRC-32 and trailer, in one program operation. It
      // commits the transaction by itself: a power cut tears it in address order, and a torn one
      // does not check (docs/store.md "On flash").
      if (!makeRoom(log, end + TXN_TAIL, -1)) {
        this.abort();
        return false;
      }
      const out = log.out;
      encodeRecordHeader(out, 0, KIND_TXN, txn.seq, 0, 0, end - RECORD_HEADER_SIZE);
      log.crc(out, 0, end, out, end);
      out[end + 4] = 0;
      out[end + 5] = 0;
      out[end + 6] = 0;
      out[end + 7] = 0;
      const base = log.headPhys * log.pageSize + log.headOff;
      log.flash.program(base, out, 0, end + TXN_TAIL);
      log.headOff += end + TXN_TAIL;
      // Applied from the record buffer, each at the index position its put found
      const k = txn.kept;
      let at = RECORD_HEADER_SIZE;
      let hint = 0;
      let len = 0;
      for (let h = K_HINT; at < end; h += KEPT_ENTRY) {
        len = (out[at + 8] << 8) | out[at + 9];
        hint = (k[h] << 8) | k[h + 1];
        log.applyPut(out[at + 5], (out[at + 6] << 8) | out[at + 7], base + at, len, hint === NO_HINT ? -1 : hint);
        len += RECORD_HEADER_SIZE + RECORD_CRC32_SIZE + 3; // recordSpace(len) written out
        at += len - (len % 4);
      }
      this.packEnd = 0;
      this.nextSeq = txn.seq + 1;
      txn.end();
      return true;
    }
    if (!makeRoom(this.log, COMMIT_SPACE, txn.firstPhys)) {
      this.abort();
      return false;
    }
    // The pair after the pending records, all in one program operation: a power cut tears it in
    // address order or leaves it whole.
    const at = this.log.prepare(COMMIT_SPACE, false);
    encodeCommitPair(this.log.out, at, txn.seq, txn.count, txn.firstPageSeq, txn.firstOff, this.log.crc);
    const addr = this.log.appendCommitPair(at);
    const ps = this.log.pageSize;
    // A small transaction's records are applied from RAM; a larger one's are read back from flash.
    const applied =
      txn.count <= KEPT_RECORDS
        ? txn.applyKept(this.log)
        : replayTransaction(this.log, this.log.reader, txn.seq, txn.firstPhys, txn.firstOff, this.log.pageOf(addr), addr % ps);
    if (applied !== txn.count) throw new Error(`store.commit: applied ${applied} of ${txn.count} records`);
    this.nextSeq = txn.seq + 1;
    txn.end();
    return true;
  }

  /** Drops the open transaction (no-op when none is open); its records become garbage. */
  abort(): void {
    if (this.txn.seq !== 0 && this.txn.count > 0) this.nextSeq = this.txn.seq + 1;
    this.log.dropPending();
    this.packEnd = 0;
    this.txn.end();
  }

  /**
   * Record bytes a transaction of puts could still write (compaction included; COMMIT and the
   * delete reserve deducted), without the loss at page ends: an upper bound. reserve() tells
   * whether a given transaction fits.
   */
  freeBytes(): number {
    if (!this.mounted) throw new Error('store: mount() first');
    const free = appendableBytes(this.log, 0, this.stopPage()) - COMMIT_SPACE - STORE_DELETE_RESERVE;
    return free > 0 ? free : 0;
  }

  private findKey(type: number, id: number): number {
    if (!this.mounted) throw new Error('store: mount() first');
    if ((type & 255) !== type || (id & 65535) !== id) checkKey(type, id); // throws (see put)
    return this.index.find(type * 65536 + id); // storeKey(type, id)
  }

  /** The page compaction must not touch: the one with this transaction's first record (or the head). */
  private stopPage(): number {
    return this.txn.seq !== 0 && this.txn.firstPhys >= 0 ? this.txn.firstPhys : this.log.headPhys;
  }

  /**
   * put() (a record that is not a packed transaction's SUB record), putTally() and remove() once
   * their arguments are checked. tally: a tally of `len` unspent bytes, `data` unused. False, and
   * the transaction failed, when full.
   */
  private writeRecord(kind: number, type: number, id: number, data: Uint8Array, off: number, len: number, tally: boolean): boolean {
    const log = this.log;
    // recordSpace(len) written out (a call costs Espruino a scope)
    let space = RECORD_HEADER_SIZE + len + RECORD_CRC32_SIZE + 3;
    space -= space % 4;
    // The key's index position (-1 when it has none), kept for commit. Not findKey(): the callers
    // have checked the store, the type and the id.
    const hint = kind === KIND_DEL ? -1 : this.index.find(type * 65536 + id); // storeKey(type, id)
    // put() writes a packed transaction's SUB records itself; anything else ends the packing.
    if (this.packEnd > 0) {
      this.unpack();
      if (this.txnFailed) return false;
    }
    if (
      this.txnFailed ||
      this.txn.count >= STORE_MAX_TXN_RECORDS ||
      // a put of a new key needs room in the index; a put keeps the delete reserve and room for
      // this transaction's COMMIT (a remove may use the reserve)
      (kind !== KIND_DEL &&
        ((hint < 0 && this.index.count + this.txnNewKeys >= this.index.capacity) ||
          !smallRoomAfter(log, space, STORE_DELETE_RESERVE + COMMIT_SPACE, this.stopPage()))) ||
      !makeRoom(log, space, this.txn.firstPhys)
    ) {
      this.txnFailed = true;
      return false;
    }
    const out = log.out;
    // Prepared after the transaction's pending records (Log.pending); a tally alone.
    const at = log.prepare(space, tally);
    encodeRecordHeader(out, at, kind, this.txn.seq, type, id, tally ? len + TALLY_LEN_FLAG : len);
    if (tally) fill(out, at + RECORD_HEADER_SIZE, len, 0xff);
    else copy(data, off, out, at + RECORD_HEADER_SIZE, len);
    sealRecord(out, at, len, space, tally, log.crc);
    const addr = log.append(at, len, space, tally);
    this.txn.noteRecord(type, id, kind === KIND_DEL ? DEL_LEN : len, addr, log.headPhys, log.headSeq, addr - log.headPhys * log.pageSize, hint);
    if (kind !== KIND_DEL && hint < 0) this.txnNewKeys++;
    return true;
  }

  /**
   * Ends packing: the records waiting as a TXN record's body become ordinary PUT records at the
   * head, pending (Log.pending) as if put one by one. The puts checked that the TXN record, which
   * is larger, fits.
   */
  private unpack(): void {
    const log = this.log;
    const txn = this.txn;
    const out = log.out;
    const body = this.packEnd - RECORD_HEADER_SIZE;
    const n = txn.count;
    this.packEnd = 0;
    if (n === 0) return;
    if (!makeRoom(log, body, -1)) {
      this.txnFailed = true;
      return;
    }
    copy(out, RECORD_HEADER_SIZE, out, 0, body);
    const base = log.headPhys * log.pageSize + log.headOff;
    txn.count = 0;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const type = out[at + 5];
      const id = (out[at + 6] << 8) | out[at + 7];
      const len = (out[at + 8] << 8) | out[at + 9];
      const hint = (txn.kept[i * KEPT_ENTRY + K_HINT] << 8) | txn.kept[i * KEPT_ENTRY + K_HINT + 1];
      const space = recordSpace(len);
      encodeRecordHeader(out, at, KIND_PUT, txn.seq, type, id, len);
      sealRecord(out, at, len, space, false, log.crc);
      txn.noteRecord(type, id, len, base + at, log.headPhys, log.headSeq, log.headOff + at, hint === NO_HINT ? -1 : hint);
      at += space;
    }
    log.pending = body;
    log.headOff += body;
  }

  private requireTxn(op: string): void {
    if (!this.mounted) throw new Error('store: mount() first');
    if (this.txn.seq === 0) throw new Error(`store.${op}: no open transaction (begin() first)`);
  }
}
