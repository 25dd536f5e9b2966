/**
 * TS 102 225 counters of the platform link, per device and direction, in link_counters: a
 * CounterStore (firmware/src/core/link/counter.ts) over the database. Each write is its own
 * committed statement (a PostgreSQL commit, durable when write() returns; on SQLite the running
 * platform groups commits, and no frame under a counter goes out before its commit is on disk:
 * link/frames-after-commit.ts). A write only ever raises the stored counter (5 octets big-endian compare as
 * numbers): when two platform processes race on one device, the loser's write fails instead of
 * sending or accepting a counter the other already used, which the card would refuse as a replay.
 * With several workers the write also runs under the device lease's fence (workers/device-leases.ts):
 * once another worker took the device, this one can neither send nor accept anything for it, so a
 * stale worker's command can never overtake the new holder's at the card.
 */
import { CNTR_LEN, type CounterStore } from '../../../firmware/src/core/link/counter';
import type { PlatformDb } from './database';

export type LinkDirection = 'down' | 'up';

export class DbCounterStore implements CounterStore {
  constructor(
    private readonly db: PlatformDb,
    private readonly deviceId: string,
    private readonly direction: LinkDirection,
    /** Throws when this process no longer serves the device (several workers). */
    private readonly fence: ((deviceId: string) => void) | null = null,
  ) {}

  read(out: Uint8Array, off: number): void {
    const row = this.db
      .prepare('SELECT counter FROM link_counters WHERE device_id = ? AND direction = ?')
      .get(this.deviceId, this.direction) as { counter: Buffer } | undefined;
    for (let i = 0; i < CNTR_LEN; i++) out[off + i] = row === undefined ? 0 : row.counter[i];
  }

  write(cntr: Uint8Array, off: number): void {
    const value = Buffer.from(cntr.subarray(off, off + CNTR_LEN));
    const upsert = (): number =>
      this.db
        .prepare(
          `INSERT INTO link_counters (device_id, direction, counter) VALUES (?, ?, ?)
           ON CONFLICT(device_id, direction) DO UPDATE SET counter = excluded.counter WHERE link_counters.counter < excluded.counter`,
        )
        .run(this.deviceId, this.direction, value).changes;
    const fence = this.fence;
    const changes = this.db.transactionGrouped(() => {
      if (fence !== null) fence(this.deviceId);
      return upsert();
    })();
    if (changes !== 1) throw new Error(`link counter ${this.direction} of '${this.deviceId}' moved on in another platform process`);
  }
}
