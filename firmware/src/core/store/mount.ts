/**
 * Recovery at boot: rebuild the head, tail and index from flash (scanLog, read-only), then erase
 * every page outside tail..head that is not blank (eraseUnusedPages): pages a torn page-open or an
 * interrupted compaction left behind. After both, the state is exactly that of the last COMMIT
 * (or compaction header) that reached flash whole (docs/store.md "Recovery").
 */
import { Log } from './_log';
import {
  HEADER_VALID,
  KIND_BACKUP,
  KIND_COMMIT,
  KIND_COPY,
  LAYOUT_VERSION,
  PAGE_HEADER_SIZE,
  PageHeader,
  RECORD_END,
  RECORD_OK,
  decodePageHeader,
} from './_layout';
import { RecordReader } from './_reader';
import { replayTransaction } from './_replay';

/** What a scan found besides the state itself (check() reports the counters). */
export class ScanReport {
  /** Highest transaction sequence number seen; the next transaction uses one more. */
  maxSeq = 0;
  /** Pages between tail and head whose header is missing or out of sequence. */
  brokenChain = 0;
  /** Valid page headers sharing the head's sequence number. */
  duplicateHeads = 0;
  /** COMMIT records whose transaction's records were not all found. */
  badCommits = 0;

  clear(): void {
    this.maxSeq = 0;
    this.brokenChain = 0;
    this.duplicateHeads = 0;
    this.badCommits = 0;
  }
}

/** Reads page `phys`'s header into h; returns HEADER_BLANK, HEADER_VALID or HEADER_INVALID. */
function readPageHeader(log: Log, phys: number, h: PageHeader): number {
  log.flash.read(phys * log.pageSize, log.headerBuf, 0, PAGE_HEADER_SIZE);
  const status = decodePageHeader(log.headerBuf, h);
  if (status === HEADER_VALID && (h.version !== LAYOUT_VERSION || h.pageCount !== log.pageCount)) {
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
    if (h.seq === log.headSeq) report.duplicateHeads++;
    if (h.seq > log.headSeq) {
      log.headPhys = phys;
      log.headSeq = h.seq;
      headTail = h.tailSeq;
      report.duplicateHeads = 0;
    }
  }
  if (log.headPhys < 0) return;
  let tailSeq = headTail;
  if (log.headSeq - tailSeq > n - 2) {
    report.brokenChain++;
    tailSeq = log.headSeq - (n - 2);
  }
  // Walk back from the head: each earlier page must carry the previous sequence number.
  for (let seq = log.headSeq - 1; seq >= tailSeq; seq--) {
    const phys = (log.headPhys + n - (log.headSeq - seq)) % n;
    if (readPageHeader(log, phys, h) !== HEADER_VALID || h.seq !== seq) {
      report.brokenChain++;
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
  if (first > pageSeq || (first === pageSeq && r.firstOff >= off) || r.firstOff < PAGE_HEADER_SIZE) {
    report.badCommits++;
    return;
  }
  // A transaction whose first pages were compacted away: their live records come back as COPY
  // records later in the log, so only the part still in use is replayed.
  const partial = first < log.tailSeq;
  const startPhys = partial ? log.tailPhys : log.physOfSeq(first);
  const startOff = partial ? PAGE_HEADER_SIZE : r.firstOff;
  const expected = r.count;
  const applied = replayTransaction(log, replay, r.seq, startPhys, startOff, phys, off);
  if (applied < 0 || (partial ? applied > expected : applied !== expected)) report.badCommits++;
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

/** Rebuilds log state and index from flash, without writing. */
export function scanLog(log: Log, scan: RecordReader, replay: RecordReader, report: ScanReport): void {
  log.reset();
  report.clear();
  findPages(log, log.header, report);
  if (log.headPhys < 0) return;
  const ps = log.pageSize;
  // BACKUP records come in runs for one transaction: remember whether it committed.
  let backupSeq = 0;
  let backupCommitted = false;
  for (let pageSeq = log.tailSeq; pageSeq <= log.headSeq; pageSeq++) {
    const phys = log.physOfSeq(pageSeq);
    let off = PAGE_HEADER_SIZE;
    let status = scan.read(phys, off);
    while (status === RECORD_OK) {
      if (scan.seq > report.maxSeq) report.maxSeq = scan.seq;
      if (scan.kind === KIND_COPY) log.applyPut(scan.type, scan.id, phys * ps + off, scan.len);
      else if (scan.kind === KIND_COMMIT) applyCommit(log, scan, replay, phys, off, pageSeq, report);
      else if (scan.kind === KIND_BACKUP) {
        if (scan.seq !== backupSeq) {
          backupSeq = scan.seq;
          backupCommitted = commitsLater(log, replay, scan.seq, phys, off + scan.space);
        }
        if (!backupCommitted) log.applyPut(scan.type, scan.id, phys * ps + off, scan.len);
      }
      off += scan.space;
      status = scan.read(phys, off);
    }
    if (pageSeq === log.headSeq) {
      // Append after the last whole record only onto erased bytes; a torn record seals the page.
      log.headOff = status === RECORD_END && log.reader.isErased(phys, off, ps) ? off : ps;
    }
  }
}

/** Erases the pages outside tail..head that are not blank. */
export function eraseUnusedPages(log: Log): void {
  for (let phys = 0; phys < log.pageCount; phys++) {
    if (!log.inUse(phys) && !log.reader.isErased(phys, 0, log.pageSize)) log.flash.erase(phys);
  }
}
