/**
 * The terminal's link counters (TS 102 225 CNTR) in its state directory: one JSON file with the
 * last up counter sent and the highest down counter accepted. write() replaces the file atomically
 * (write + fsync + rename) before it returns, as core/link/counter.ts requires.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CNTR_LEN, type CounterStore } from '../../firmware/src/core/link/counter';

export const COUNTER_FILE = 'link-counters.json';

type Direction = 'up' | 'down';

export function fileCounters(dir: string): { up: CounterStore; down: CounterStore } {
  const file = path.join(dir, COUNTER_FILE);
  const load = (): Record<Direction, string> => {
    if (!fs.existsSync(file)) return { up: '0000000000', down: '0000000000' };
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<Direction, string>;
  };
  const store = (direction: Direction): CounterStore => ({
    read(out, off) {
      const b = Buffer.from(load()[direction], 'hex');
      for (let i = 0; i < CNTR_LEN; i++) out[off + i] = b[i];
    },
    write(cntr, off) {
      const all = load();
      all[direction] = Buffer.from(cntr.subarray(off, off + CNTR_LEN)).toString('hex');
      const tmp = file + '.tmp';
      const fd = fs.openSync(tmp, 'w', 0o600);
      fs.writeSync(fd, JSON.stringify(all) + '\n');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(tmp, file);
    },
  });
  return { up: store('up'), down: store('down') };
}
