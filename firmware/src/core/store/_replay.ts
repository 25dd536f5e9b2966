/**
 * Applying a committed transaction to the index: its PUT and DEL records take effect at its COMMIT,
 * in log order. The walk starts at the transaction's first record and skips everything else it
 * passes (COPY records compaction wrote meanwhile, the leftovers of aborted transactions).
 */
import { Log } from './_log';
import { KIND_DEL, KIND_PUT, PAGE_HEADER_SIZE, RECORD_OK } from './_layout';
import { RecordReader } from './_reader';

/**
 * Applies transaction `seq`'s records found from (startPhys, startOff) up to its COMMIT at
 * (endPhys, endOff). Returns how many it applied, or -1 when the walk misses the COMMIT.
 */
export function replayTransaction(
  log: Log,
  reader: RecordReader,
  seq: number,
  startPhys: number,
  startOff: number,
  endPhys: number,
  endOff: number,
): number {
  const ps = log.pageSize;
  let phys = startPhys;
  let off = startOff;
  let count = 0;
  let pages = 0;
  for (;;) {
    if (phys === endPhys) {
      if (off === endOff) return count;
      if (off > endOff) return -1;
    }
    if (reader.read(phys, off) === RECORD_OK) {
      if (reader.seq === seq && (reader.kind === KIND_PUT || reader.kind === KIND_DEL)) {
        if (reader.kind === KIND_PUT) log.applyPut(reader.type, reader.id, phys * ps + off, reader.len, -1);
        else log.applyDel(reader.type, reader.id);
        count++;
      }
      off += reader.space;
    } else {
      // End of this page's records (or a torn one, after which the page holds nothing valid).
      if (phys === endPhys || pages >= log.usedPages()) return -1;
      phys = (phys + 1) % log.pageCount;
      off = PAGE_HEADER_SIZE;
      pages++;
    }
  }
}
