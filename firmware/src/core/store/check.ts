/**
 * The store's own consistency check: rescans flash into a second, fresh state and compares, then
 * checks what the scan cannot see. For tests and tools: it allocates, and the firmware never calls
 * it, so it stays out of the board's bundle.
 */
import { storeKey } from './_index';
import { Log } from './_log';
import { KIND_BACKUP, KIND_COPY, KIND_PUT, RECORD_OK, recordSpace } from './_layout';
import { RecordReader } from './_reader';
import { DAMAGE_NONE, ScanReport, damageText, pageInUse, scanLog } from './mount';
import type { Store } from './store';

export interface StoreCheck {
  ok: boolean;
  problems: string[];
}

/** Live records: whole, of the key and length the index says, keys strictly ascending. */
function checkIndex(log: Log, problems: string[]): void {
  const index = log.index;
  const reader = new RecordReader(log);
  const ps = log.pageSize;
  for (let i = 0; i < index.count; i++) {
    const key = index.keyAt(i);
    const addr = index.addrAt(i);
    if (i > 0 && index.keyAt(i - 1) >= key) problems.push(`index: key ${key} not above the key before it (two live versions?)`);
    const phys = log.pageOf(addr);
    if (!pageInUse(log, phys)) {
      problems.push(`index: key ${key} points into page ${phys}, which is not in use`);
      continue;
    }
    const status = reader.readLive(phys, addr - phys * ps);
    if (status !== RECORD_OK) problems.push(`record at ${addr} (key ${key}): unreadable or bad CRC`);
    else if (reader.kind !== KIND_PUT && reader.kind !== KIND_COPY && reader.kind !== KIND_BACKUP) problems.push(`record at ${addr} (key ${key}): not a value record`);
    else if (storeKey(reader.type, reader.id) !== key || reader.len !== index.lenAt(i)) {
      problems.push(`record at ${addr}: holds key ${storeKey(reader.type, reader.id)} len ${reader.len}, index says key ${key} len ${index.lenAt(i)}`);
    }
  }
  for (let phys = 0; phys < log.pageCount; phys++) {
    let sum = 0;
    for (let i = 0; i < index.count; i++) if (log.pageOf(index.addrAt(i)) === phys) sum += recordSpace(index.lenAt(i));
    if (sum !== log.liveBytes(phys)) problems.push(`page ${phys}: live bytes ${log.liveBytes(phys)}, index sums to ${sum}`);
  }
}

/** RAM state equals a fresh scan of flash. */
function compareWithScan(log: Log, problems: string[]): void {
  const shadow = new Log(log.flash, log.index.capacity, log.maxValue, log.crc);
  const report = new ScanReport();
  try {
    scanLog(shadow, new RecordReader(shadow), new RecordReader(shadow), report);
  } catch (e) {
    problems.push(`scan failed: ${(e as Error).message}`);
    return;
  }
  if (report.damage !== DAMAGE_NONE) problems.push(`damage: ${damageText(report)}`);
  if (
    shadow.headPhys !== log.headPhys ||
    shadow.headSeq !== log.headSeq ||
    shadow.headOff !== log.headOff ||
    shadow.tailPhys !== log.tailPhys ||
    shadow.tailSeq !== log.tailSeq
  ) {
    problems.push(
      `log position: RAM head ${log.headPhys}/${log.headSeq}@${log.headOff} tail ${log.tailPhys}/${log.tailSeq}, ` +
        `flash head ${shadow.headPhys}/${shadow.headSeq}@${shadow.headOff} tail ${shadow.tailPhys}/${shadow.tailSeq}`,
    );
  }
  const a = log.index;
  const b = shadow.index;
  if (a.count !== b.count) problems.push(`index: RAM holds ${a.count} keys, flash ${b.count}`);
  const n = a.count < b.count ? a.count : b.count;
  for (let i = 0; i < n; i++) {
    if (a.keyAt(i) !== b.keyAt(i) || a.addrAt(i) !== b.addrAt(i) || a.lenAt(i) !== b.lenAt(i)) {
      problems.push(`index entry ${i}: RAM key ${a.keyAt(i)} at ${a.addrAt(i)}, flash key ${b.keyAt(i)} at ${b.addrAt(i)}`);
      break;
    }
  }
}

/** Pages outside tail..head are erased, and the spare after the head exists. */
function checkUnusedPages(log: Log, problems: string[]): void {
  if (log.usedPages() > log.pageCount - 1) problems.push(`${log.usedPages()} pages in use: no spare page left`);
  const reader = new RecordReader(log);
  for (let phys = 0; phys < log.pageCount; phys++) {
    if (!pageInUse(log, phys) && !reader.isErased(phys, 0, log.pageSize)) problems.push(`page ${phys}: not in use but not erased`);
  }
}

/**
 * Checks a mounted store: page chain and headers, CRC of every live record, one live version per
 * key, committed transactions complete, no damage a power cut cannot explain, RAM state equal to a
 * fresh scan of flash, unused pages erased. Every problem found is listed as text.
 */
export function checkStore(store: Store): StoreCheck {
  const log = store.log;
  const problems: string[] = [];
  checkIndex(log, problems);
  compareWithScan(log, problems);
  checkUnusedPages(log, problems);
  return { ok: problems.length === 0, problems: problems };
}
