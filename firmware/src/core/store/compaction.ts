/**
 * Moving the head to a new page, and compaction with it (docs/store.md "Compaction").
 *
 * The pages in use form a ring segment tail..head and the page after the head is always erased.
 * Opening that spare page as the new head must leave the page after it erased again: when the
 * ring is full, that page is the tail, so its live records (those the index points at) are copied
 * to the start of the new page as COPY records, then the new page's header is programmed with
 * tailSeq = old tail + 1, then the old tail is erased. A power cut before the header is whole
 * leaves a header-less page that mount() erases (roll back); after it, the old tail is obsolete
 * by the header and mount() erases whatever a torn erase left of it (roll forward).
 *
 * Copies always fit: they are a subset of one page's records, at the same sizes. The page holding
 * an open transaction's first record is never compacted (its records are not in the index yet);
 * a transaction that would need that is too big and its put() fails.
 */
import { Log } from './_log';
import {
  COMMIT_SPACE,
  CRC32_LAYOUT,
  KIND_BACKUP,
  KIND_COPY,
  LAYOUT_VERSION,
  PAGE_HEADER_SIZE,
  RECORD_OK,
  encodePageHeader,
  programRecord,
  recordSpaceIn,
  restampRecord,
} from './_layout';
import { storeKey } from './_index';

/**
 * Record bytes the k-th page opened from now (k >= 1) would offer, or -1 when it cannot be opened:
 * the ring has been gone round once, or opening it would compact `stopPhys` (-1: no such page).
 */
export function openingRoom(log: Log, k: number, stopPhys: number): number {
  const n = log.pageCount;
  if (k > n - 1) return -1;
  const room = log.pageSize - PAGE_HEADER_SIZE;
  // Each opening without compaction adds a page in use, until only the spare is left.
  const usedBefore = log.usedPages() + k - 1;
  if (usedBefore < n - 1) return room;
  const base = log.headPhys < 0 ? n - 1 : log.headPhys;
  const victim = (base + k + 1) % n;
  if (victim === stopPhys) return -1;
  // Live bytes count layout 4's sizes: an older victim whose records would not fit converted
  // gives a page of its own layout, sealed (openPage), so nothing more goes there.
  const left = room - log.liveBytes(victim);
  return left > 0 ? left : 0;
}

/** Pages to open before `space` bytes fit at the head: 0 if they fit now, -1 if they never will. */
export function pagesToOpen(log: Log, space: number, stopPhys: number): number {
  if (log.headRoom() >= space) return 0;
  for (let k = 1; k < log.pageCount; k++) {
    const room = openingRoom(log, k, stopPhys);
    if (room < 0) return -1;
    if (room >= space) return k;
  }
  return -1;
}

/**
 * Record bytes that can still be appended from the head on, counting every page that can be
 * opened and losing up to `slack` bytes at the end of each page to a record that no longer fits.
 */
export function appendableBytes(log: Log, slack: number, stopPhys: number): number {
  const head = log.headRoom();
  let total = head > slack ? head - slack : 0;
  for (let k = 1; k < log.pageCount; k++) {
    const room = openingRoom(log, k, stopPhys);
    if (room < 0) break;
    if (room > slack) total += room - slack;
  }
  return total;
}

/**
 * True when `need` bytes of records, none larger than slack + 1, are sure to fit from the head on.
 * Every page the records run past loses at most `slack` bytes at its end; the page where they
 * end loses nothing.
 */
export function fits(log: Log, need: number, slack: number, stopPhys: number): boolean {
  let before = 0;
  let room = log.headRoom();
  for (let k = 1; ; k++) {
    if (before + room >= need) return true;
    if (room > slack) before += room - slack;
    if (k >= log.pageCount) return false;
    room = openingRoom(log, k, stopPhys);
    if (room < 0) return false;
  }
}

/**
 * True when, after a record of `space` bytes is placed where makeRoom() would put it, small
 * records (COMMIT or DEL sized) of `need` bytes could still be appended; false also when the
 * record cannot be placed. Pages skipped because the record does not fit them count as lost.
 * Stops at the first page that makes up `need`: a put asks this every time, and the store may
 * have many pages.
 */
export function smallRoomAfter(log: Log, space: number, need: number, stopPhys: number): boolean {
  const slack = COMMIT_SPACE - 1;
  // The common case first, without the calls below (each costs Espruino a scope): all of it fits
  // the head page.
  if (log.headPhys >= 0 && log.pageSize - log.headOff - space - slack >= need) return true;
  const k = pagesToOpen(log, space, stopPhys);
  if (k < 0) return false;
  const left = (k === 0 ? log.headRoom() : openingRoom(log, k, stopPhys)) - space;
  let total = left > slack ? left - slack : 0;
  for (let j = k + 1; j < log.pageCount && total < need; j++) {
    const room = openingRoom(log, j, stopPhys);
    if (room < 0) break;
    if (room > slack) total += room - slack;
  }
  return total >= need;
}

/**
 * Copies the live records of page `victim` to page `to` from PAGE_HEADER_SIZE on, as records of
 * layout `version` (a record inside a TXN record as a record of its own, of the same size);
 * returns the end offset. A key the open transaction has written is copied as a
 * BACKUP: should the transaction commit, its own record follows the backup in effect but may
 * precede it on flash, and once its page is compacted away a plain COPY would bring the old value
 * back.
 */
function copyLiveRecords(log: Log, victim: number, to: number, version: number): number {
  const ps = log.pageSize;
  const index = log.index;
  const r = log.reader;
  let off = PAGE_HEADER_SIZE;
  for (let i = 0; i < index.count; i++) {
    const addr = index.addrAt(i);
    if (log.pageOf(addr) !== victim) continue;
    const key = index.keyAt(i);
    if (r.readLive(victim, addr - victim * ps) !== RECORD_OK || storeKey(r.type, r.id) !== key || r.len !== index.lenAt(i)) {
      throw new Error(`store: live record at ${addr} does not match the index; run check()`);
    }
    if (log.txn.touches(key, log.pageCount, log.headPhys)) restampRecord(r.buf, r.len, KIND_BACKUP, log.txn.seq, version, log.crc);
    else restampRecord(r.buf, r.len, KIND_COPY, r.seq, version, log.crc);
    programRecord(log.flash, to * ps + off, r.buf, r.len, version);
    index.setAddr(i, to * ps + off);
    off += recordSpaceIn(version, r.len);
  }
  return off;
}

/**
 * Opens the spare page as the new head, compacting the tail into it when the ring is full.
 * Returns false (nothing written) when that would compact `stopPhys`.
 */
export function openPage(log: Log, stopPhys: number): boolean {
  const n = log.pageCount;
  const fresh = log.headPhys < 0;
  const page = fresh ? 0 : (log.headPhys + 1) % n;
  const victim = (page + 1) % n;
  const compact = log.usedPages() === n - 1;
  if (compact && victim === stopPhys) return false;
  // Records of an older layout are copied as layout 4 records (4 bytes more each) when they fit;
  // otherwise as they are, into a page of their own layout that takes nothing more (sealed).
  const keepOld = compact && log.versions[victim] < CRC32_LAYOUT && log.liveBytes(victim) > log.pageSize - PAGE_HEADER_SIZE;
  const version = keepOld ? log.versions[victim] : LAYOUT_VERSION;
  const off = compact ? copyLiveRecords(log, victim, page, version) : PAGE_HEADER_SIZE;
  const seq = fresh ? 1 : log.headSeq + 1;
  const tailSeq = fresh ? 1 : compact ? log.tailSeq + 1 : log.tailSeq;
  encodePageHeader(log.headerBuf, seq, tailSeq, n, version);
  log.flash.program(page * log.pageSize, log.headerBuf, 0, PAGE_HEADER_SIZE);
  if (compact) {
    log.flash.erase(victim);
    log.setLiveBytes(page, log.liveBytes(victim));
    log.setLiveBytes(victim, 0);
    log.tailPhys = (victim + 1) % n;
  }
  if (fresh) log.tailPhys = page;
  log.tailSeq = tailSeq;
  log.versions[page] = version;
  log.headPhys = page;
  log.headSeq = seq;
  log.headOff = keepOld ? log.pageSize : off;
  return true;
}

/** Makes `space` bytes fit at the head, opening (and compacting) pages as needed. False if it cannot. */
export function makeRoom(log: Log, space: number, stopPhys: number): boolean {
  // The common case first, without the calls below: the record fits the head page.
  if (log.headPhys >= 0 && log.pageSize - log.headOff >= space) return true;
  const k = pagesToOpen(log, space, stopPhys);
  if (k < 0) return false;
  // The pending records go to the head page before another is opened (Log.pending).
  if (k > 0) log.flush();
  for (let i = 0; i < k; i++) {
    if (!openPage(log, stopPhys)) throw new Error('store: compaction plan and pages disagree');
  }
  return true;
}
