/**
 * Recovery at boot: rebuild the head, tail and index from flash (scanLog, read-only), then erase
 * every page outside tail..head that is not blank (eraseUnusedPages): pages a torn page-open or an
 * interrupted compaction left behind. After both, the state is exactly that of the last COMMIT
 * (or compaction header) that reached flash whole (docs/store.md "Recovery").
 *
 * The scan also tells damage from a power cut. A cut tears the one operation under way; flash is
 * programmed in address order, so nothing after a torn record was written, a torn page header is a
 * prefix of a valid one, and a torn page's records never hold a commit newer than the head. What
 * a cut cannot explain is reported (ScanReport.damage): mount() then refuses the image rather than
 * silently lose committed data.
 */
import { Log } from './_log';
import { shr } from '../bits';
import { readU16 } from '../bytes';
import {
  COMMIT_VALUE_SIZE,
  CRC32_LAYOUT,
  HEADER_BLANK,
  HEADER_VALID,
  KIND_BACKUP,
  KIND_COMMIT,
  KIND_COPY,
  KIND_PUT,
  KIND_SUB,
  KIND_TXN,
  LAYOUT_VERSION,
  OLDEST_LAYOUT_VERSION,
  PAGE_HEADER_SIZE,
  PageHeader,
  RECORD_END,
  RECORD_HEADER_SIZE,
  RECORD_OK,
  decodePageHeader,
  decodeRecordHeader,
  isTornPageHeader,
  RECORD_CRC32_SIZE,
  TXN_TAIL,
  recordSpace,
  recordSpaceIn,
} from './_layout';
import { RecordReader } from './_reader';
import { replayTransaction } from './_replay';

export const DAMAGE_NONE = 0;
/** A damaged record with data after it, or a damaged compaction copy. */
export const DAMAGE_RECORD = 1;
/** A page header that is neither valid nor a torn write of one, with no valid page anywhere. */
export const DAMAGE_HEADER = 2;
/** A page between tail and head missing or out of sequence, or two heads. */
export const DAMAGE_CHAIN = 3;
/** A COMMIT whose transaction's records are not all readable. */
export const DAMAGE_COMMIT = 4;
/** A COMMIT newer than every one in use, on a page outside tail..head. */
export const DAMAGE_NEWER = 5;

/** What a scan found besides the state itself (check() reports the counters). */
export class ScanReport {
  /** Highest transaction sequence number seen; the next transaction uses one more. */
  maxSeq = 0;
  /** Highest sequence number of a COMMIT between tail and head. */
  maxCommitSeq = 0;
  /** The first damage found (DAMAGE_*), and where: page and offset (-1 when a whole page). */
  damage = DAMAGE_NONE;
  damagePage = -1;
  damageOff = -1;
  /** Valid page headers sharing the head's sequence number. */
  duplicateHeads = 0;

  clear(): void {
    this.maxSeq = 0;
    this.maxCommitSeq = 0;
    this.damage = DAMAGE_NONE;
    this.damagePage = -1;
    this.damageOff = -1;
    this.duplicateHeads = 0;
  }

  /** Notes damage of kind `what` at page `phys`, offset `off`; the first one found is kept. */
  note(what: number, phys: number, off: number): void {
    if (this.damage !== DAMAGE_NONE) return;
    this.damage = what;
    this.damagePage = phys;
    this.damageOff = off;
  }
}

/** One line saying what damage the report holds and where ('' when none). */
export function damageText(report: ScanReport): string {
  const at = `page ${report.damagePage}` + (report.damageOff >= 0 ? ` offset ${report.damageOff}` : '');
  const d = report.damage;
  if (d === DAMAGE_RECORD) return `${at}: a damaged record with data after it (not a torn write)`;
  if (d === DAMAGE_HEADER) return `${at}: page header damaged and no valid page found`;
  if (d === DAMAGE_CHAIN) return `${at}: page missing from the log, out of sequence or a second head`;
  if (d === DAMAGE_COMMIT) return `${at}: a committed transaction's records are not all readable`;
  if (d === DAMAGE_NEWER) return `${at}: holds a COMMIT newer than the log's head (the head's page header is damaged)`;
  return '';
}

/** Reads page `phys`'s header into h; returns HEADER_BLANK, HEADER_VALID or HEADER_INVALID. */
function readPageHeader(log: Log, phys: number, h: PageHeader): number {
  log.flash.read(phys * log.pageSize, log.headerBuf, 0, PAGE_HEADER_SIZE);
  const status = decodePageHeader(log.headerBuf, h);
  if (status === HEADER_VALID && (h.version < OLDEST_LAYOUT_VERSION || h.version > LAYOUT_VERSION || h.pageCount !== log.pageCount)) {
    throw new Error(
      `store: page ${phys} was written by layout ${h.version} on ${h.pageCount} pages; this is layout ${LAYOUT_VERSION} on ${log.pageCount}`,
    );
  }
  return status;
}

/** Finds the head (the valid page with the highest seq) and the tail its header names. */
function findPages(log: Log, h: PageHeader, report: ScanReport): void {
  const n = log.pageCount;
  let headTail = 0;
  for (let phys = 0; phys < n; phys++) {
    if (readPageHeader(log, phys, h) !== HEADER_VALID) continue;
    log.versions[phys] = h.version;
    if (h.seq === log.headSeq) report.duplicateHeads++;
    if (h.seq > log.headSeq) {
      log.headPhys = phys;
      log.headSeq = h.seq;
      headTail = h.tailSeq;
      report.duplicateHeads = 0;
    }
  }
  if (report.duplicateHeads > 0) report.note(DAMAGE_CHAIN, log.headPhys, -1);
  if (log.headPhys < 0) return;
  let tailSeq = headTail;
  if (log.headSeq - tailSeq > n - 2) {
    report.note(DAMAGE_CHAIN, log.headPhys, -1);
    tailSeq = log.headSeq - (n - 2);
  }
  // Walk back from the head: each earlier page must carry the previous sequence number.
  for (let seq = log.headSeq - 1; seq >= tailSeq; seq--) {
    const phys = (log.headPhys + n - (log.headSeq - seq)) % n;
    if (readPageHeader(log, phys, h) !== HEADER_VALID || h.seq !== seq) {
      report.note(DAMAGE_CHAIN, phys, -1);
      tailSeq = seq + 1;
      break;
    }
  }
  log.tailSeq = tailSeq;
  log.tailPhys = (log.headPhys + n - (log.headSeq - tailSeq)) % n;
}

/** Applies the transaction whose COMMIT `r` sits at (phys, off) of page `pageSeq`. */
function applyCommit(log: Log, r: RecordReader, replay: RecordReader, phys: number, off: number, pageSeq: number, report: ScanReport): void {
  const first = r.firstPageSeq;
  if (r.seq > report.maxCommitSeq) report.maxCommitSeq = r.seq;
  if (first > pageSeq || (first === pageSeq && r.firstOff >= off) || r.firstOff < PAGE_HEADER_SIZE) {
    report.note(DAMAGE_COMMIT, phys, off);
    return;
  }
  // A transaction whose first pages were compacted away: their live records come back as COPY
  // records later in the log, so only the part still in use is replayed.
  const partial = first < log.tailSeq;
  const startPhys = partial ? log.tailPhys : (log.tailPhys + (first - log.tailSeq)) % log.pageCount;
  const startOff = partial ? PAGE_HEADER_SIZE : r.firstOff;
  const expected = r.count;
  const applied = replayTransaction(log, replay, r.seq, startPhys, startOff, phys, off);
  if (applied < 0 || (partial ? applied > expected : applied !== expected)) {
    report.note(DAMAGE_COMMIT, phys, off);
  }
}

/**
 * Applies the records inside the TXN record `r` read at (phys, off): each SUB record becomes the
 * committed value of its key, in order. A TXN record whose CRC checks but whose records do not
 * tile it is damage (no power cut writes one).
 */
function applyTxn(log: Log, r: RecordReader, phys: number, off: number, report: ScanReport): void {
  if (r.seq > report.maxCommitSeq) report.maxCommitSeq = r.seq;
  const b = r.buf;
  const end = RECORD_HEADER_SIZE + r.len;
  const addr = phys * log.pageSize + off;
  let at = RECORD_HEADER_SIZE;
  while (at < end) {
    const len = at + RECORD_HEADER_SIZE <= end ? readU16(b, at + 8) : -1;
    if (len < 0 || b[at] !== KIND_SUB || readU16(b, at + 1) !== at || len > log.maxValue || at + recordSpace(len) > end) {
      report.note(DAMAGE_COMMIT, phys, off);
      return;
    }
    log.applyPut(b[at + 5], readU16(b, at + 6), addr + at, len, -1);
    at += recordSpace(len);
  }
}

/**
 * True when the TXN record whose header is in r.buf and decodes with length `len` (page `phys`,
 * offset `off`), though its CRC does not match, can be a torn write. The write programs its 4
 * zero trailer bytes last: once they are not blank, everything before them was written, and a
 * mismatch is damage. A length enlarged by a flipped bit puts the trailer where nothing was
 * written, so a whole record where the length with one bit cleared would end it means damage too.
 */
function tornTxn(log: Log, r: RecordReader, phys: number, off: number, len: number): boolean {
  const trailer = off + RECORD_HEADER_SIZE + len + RECORD_CRC32_SIZE;
  if (!r.isErased(phys, trailer, trailer + TXN_TAIL - RECORD_CRC32_SIZE)) return false;
  const b = r.buf;
  for (let bit = 1; bit <= len; bit *= 2) {
    const shorter = len - bit;
    if ((len & bit) === 0 || RECORD_HEADER_SIZE + shorter + TXN_TAIL > b.length) continue;
    log.flash.read(phys * log.pageSize + off, b, 0, RECORD_HEADER_SIZE + shorter + TXN_TAIL);
    b[8] = shr(shorter, 8) & 0xff;
    b[9] = shorter & 0xff;
    log.crc(b, 0, RECORD_HEADER_SIZE + shorter, log.crcBuf, 0);
    const at = RECORD_HEADER_SIZE + shorter;
    if (log.crcBuf[0] === b[at] && log.crcBuf[1] === b[at + 1] && log.crcBuf[2] === b[at + 2] && log.crcBuf[3] === b[at + 3]) return false;
  }
  return true;
}

/**
 * True when the unreadable record at (phys, off) can be a torn write: nothing after it on the page
 * was written. A header that does not decode was itself torn, so its value is blank too. A header
 * that decodes gives the record's extent, unless a flipped bit enlarged its length: a whole record
 * where the length with one bit cleared would end means damage. Compaction copies are programmed
 * before the page header that makes them count, so a page with a valid header never holds a torn one.
 */
function tornWrite(log: Log, r: RecordReader, phys: number, off: number): boolean {
  const ps = log.pageSize;
  const version = log.versions[phys];
  log.flash.read(phys * ps + off, r.buf, 0, RECORD_HEADER_SIZE);
  if (decodeRecordHeader(r.buf, off, ps, r, version) !== RECORD_OK) return r.isErased(phys, off + RECORD_HEADER_SIZE, ps);
  if (r.kind === KIND_COPY || r.kind === KIND_BACKUP) return false;
  const end = off + (r.kind === KIND_COMMIT ? 2 * recordSpaceIn(version, COMMIT_VALUE_SIZE) : r.space);
  if (!r.isErased(phys, end < ps ? end : ps, ps)) return false;
  if (r.kind === KIND_TXN) return tornTxn(log, r, phys, off, r.len);
  if (r.kind !== KIND_PUT) return true;
  const len = r.len;
  for (let bit = 1; bit <= len; bit *= 2) {
    if ((len & bit) !== 0 && r.read(phys, off + recordSpaceIn(version, len - bit)) === RECORD_OK) return false;
  }
  return true;
}

/**
 * Looks at the pages outside tail..head before they are erased. They may hold what a cut left (a
 * torn page header, compaction copies without their header, a torn erase of an old tail), never a
 * COMMIT newer than the head's: that means the head's own header was damaged. With no valid page
 * at all, a non-blank header must be a torn one (an all-zero image is not an empty store).
 */
function checkUnusedPages(log: Log, r: RecordReader, report: ScanReport): void {
  const h = log.header;
  for (let phys = 0; phys < log.pageCount; phys++) {
    if (pageInUse(log, phys)) continue;
    const status = readPageHeader(log, phys, h);
    if (status === HEADER_VALID) continue;
    if (status !== HEADER_BLANK && log.headPhys < 0 && !isTornPageHeader(log.headerBuf)) report.note(DAMAGE_HEADER, phys, 0);
    // A page without a valid header: read its records in this layout (which reads layout 4's
    // too), then in the oldest one it may hold (an older firmware's torn page, or copies
    // compaction kept in their old layout).
    for (let pass = 0; pass < 2; pass++) {
      log.versions[phys] = pass === 0 ? LAYOUT_VERSION : CRC32_LAYOUT - 1;
      let off = PAGE_HEADER_SIZE;
      while (r.read(phys, off) === RECORD_OK) {
        if ((r.kind === KIND_COMMIT || r.kind === KIND_TXN) && r.seq > report.maxCommitSeq) report.note(DAMAGE_NEWER, phys, off);
        off += r.space;
      }
    }
    log.versions[phys] = LAYOUT_VERSION;
  }
}

/**
 * True when transaction `seq` has a COMMIT after the record at (phys, off). Its records and
 * compaction copies may come first; a record of another transaction, or the end of the log,
 * means it never committed (transactions do not overlap).
 */
function commitsLater(log: Log, r: RecordReader, seq: number, phys: number, off: number): boolean {
  let p = phys;
  let o = off;
  for (;;) {
    if (r.read(p, o) === RECORD_OK) {
      if (r.kind !== KIND_COPY && r.kind !== KIND_BACKUP && r.seq !== seq) return false;
      if (r.kind === KIND_COMMIT) return true;
      o += r.space;
    } else {
      if (p === log.headPhys) return false;
      p = (p + 1) % log.pageCount;
      o = PAGE_HEADER_SIZE;
    }
  }
}

/**
 * True when page `phys` lies between tail and head. Here, not a Log method: mount's code is
 * defined only while it runs (tools/firmware/build-firmware.ts, lazy parts), a Log method all the time.
 */
export function pageInUse(log: Log, phys: number): boolean {
  return log.headPhys >= 0 && (phys - log.tailPhys + log.pageCount) % log.pageCount < log.usedPages();
}

/** Rebuilds log state and index from flash, without writing. */
export function scanLog(log: Log, scan: RecordReader, replay: RecordReader, report: ScanReport): void {
  // Forgets everything in RAM. Here, not a Log method: mount's code is defined only while it runs
  // (tools/firmware/build-firmware.ts, lazy parts), a Log method all the time.
  log.index.clear();
  log.txn.end();
  for (let i = 0; i < log.live.length; i++) log.live[i] = 0;
  log.versions.fill(LAYOUT_VERSION);
  log.pending = 0;
  log.headPhys = -1;
  log.headSeq = 0;
  log.headOff = 0;
  log.tailPhys = -1;
  log.tailSeq = 0;
  report.clear();
  findPages(log, log.header, report);
  if (log.headPhys < 0) {
    checkUnusedPages(log, scan, report);
    return;
  }
  const ps = log.pageSize;
  // BACKUP records come in runs for one transaction: remember whether it committed.
  let backupSeq = 0;
  let backupCommitted = false;
  for (let pageSeq = log.tailSeq; pageSeq <= log.headSeq; pageSeq++) {
    const phys = (log.tailPhys + (pageSeq - log.tailSeq)) % log.pageCount;
    let off = PAGE_HEADER_SIZE;
    let status = scan.read(phys, off);
    while (status === RECORD_OK) {
      if (scan.seq > report.maxSeq) report.maxSeq = scan.seq;
      if (scan.kind === KIND_COPY) log.applyPut(scan.type, scan.id, phys * ps + off, scan.len, -1);
      else if (scan.kind === KIND_TXN) applyTxn(log, scan, phys, off, report);
      else if (scan.kind === KIND_COMMIT) applyCommit(log, scan, replay, phys, off, pageSeq, report);
      else if (scan.kind === KIND_BACKUP) {
        if (scan.seq !== backupSeq) {
          backupSeq = scan.seq;
          backupCommitted = commitsLater(log, replay, scan.seq, phys, off + scan.space);
        }
        if (!backupCommitted) log.applyPut(scan.type, scan.id, phys * ps + off, scan.len, -1);
      }
      off += scan.space;
      status = scan.read(phys, off);
    }
    if (status !== RECORD_END && !tornWrite(log, scan, phys, off)) report.note(DAMAGE_RECORD, phys, off);
    if (pageSeq === log.headSeq) {
      // Append after the last whole record only onto erased bytes; a torn record seals the page,
      // and so does an older layout (new records go to a page opened in this one).
      log.headOff = status === RECORD_END && log.versions[phys] === LAYOUT_VERSION && log.reader.isErased(phys, off, ps) ? off : ps;
    }
  }
  checkUnusedPages(log, scan, report);
}

/** Erases the pages outside tail..head that are not blank. */
export function eraseUnusedPages(log: Log): void {
  for (let phys = 0; phys < log.pageCount; phys++) {
    if (!pageInUse(log, phys) && !log.reader.isErased(phys, 0, log.pageSize)) log.flash.erase(phys);
  }
}
