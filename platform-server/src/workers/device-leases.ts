/**
 * Device leases of platform workers sharing one database (table device_leases): a worker serves a
 * device only while it holds the device's lease, so one device's frames and jobs are handled by
 * one worker at a time. A lease lasts ttlMs and the holder renews all of its leases every third of
 * that; a worker that dies (kill -9, machine gone) stops renewing and the next worker to claim the
 * device after expiry takes it over, with the fencing token raised by one. A worker checks its
 * token inside the transaction that writes a job's outcome (fence), so a worker that stalled past
 * its lease cannot record anything after the device moved on.
 *
 * Times are the workers' clocks in milliseconds: their skew must stay well under ttlMs (NTP).
 * While the database is unavailable nothing is renewed: the leases lapse, and once it answers
 * again a worker claims each device anew (the same token when nobody else took it meanwhile).
 */
import { DatabaseUnavailableError, type PlatformDb } from '../db/port';

export class LeaseLost extends Error {
  readonly code = 'LEASE_LOST';
}

interface Held {
  token: number;
  /** Local time until which the lease is certainly ours without asking the database. */
  until: number;
}

export class DeviceLeases {
  private readonly held = new Map<string, Held>();
  /**
   * Devices another worker held at the last look, trusted for half a lease after that worker last
   * took or renewed it: a frame for such a device goes to its holder without asking the database
   * again (the shared subscription brings this worker about half of every device's frames).
   */
  private readonly elsewhere = new Map<string, { owner: string; until: number }>();
  private renewer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: PlatformDb,
    readonly workerId: string,
    readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts renewing this worker's leases every ttlMs / 3. */
  start(): void {
    this.renewer = setInterval(() => {
      try {
        this.renew();
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError)) throw err;
      }
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
    this.renewer.unref();
  }

  /**
   * Takes the device's lease when it is free, expired or already ours; true when ours. False for a
   * device this platform does not know: anyone with broker access can publish on an up topic, and
   * a device another platform on the same broker serves is not ours to lease.
   */
  claim(deviceId: string): boolean {
    const now = this.now();
    const mine = this.held.get(deviceId);
    if (mine !== undefined && mine.until > now) return true;
    if (this.otherHolder(deviceId, now) !== null) return false;
    // Written only for a known device (device_leases.device_id references devices): an unknown
    // one inserts nothing instead of failing the foreign key.
    this.db
      .prepare(
        `INSERT INTO device_leases (device_id, owner, token, expires_at)
         SELECT ?, ?, 1, ? WHERE EXISTS (SELECT 1 FROM devices WHERE id = ?)
         ON CONFLICT (device_id) DO UPDATE SET
           token = CASE WHEN device_leases.owner = excluded.owner THEN device_leases.token ELSE device_leases.token + 1 END,
           owner = excluded.owner, expires_at = excluded.expires_at
         WHERE device_leases.owner = excluded.owner OR device_leases.expires_at < ?`,
      )
      .run(deviceId, this.workerId, now + this.ttlMs, deviceId, now);
    const row = this.row(deviceId);
    if (row === undefined || row.owner !== this.workerId) {
      this.held.delete(deviceId);
      if (row !== undefined) this.noteHolder(deviceId, row.owner, row.expires_at);
      return false;
    }
    this.held.set(deviceId, { token: row.token, until: now + this.ttlMs / 2 });
    return true;
  }

  /** The worker serving the device now (its lease unexpired), or null. */
  owner(deviceId: string): string | null {
    const now = this.now();
    const known = this.otherHolder(deviceId, now);
    if (known !== null) return known;
    const row = this.row(deviceId);
    if (row === undefined || row.expires_at < now) return null;
    if (row.owner !== this.workerId) this.noteHolder(deviceId, row.owner, row.expires_at);
    return row.owner;
  }

  /**
   * The holder renews every ttlMs / 3 while it lives, so a lease seen expiring at expiresAt was
   * taken or renewed at expiresAt - ttlMs; trust it for half a lease from then. A holder that
   * died or handed its leases back is seen at most that long after: its frames meanwhile go to
   * it and are lost, which the link survives (resends).
   */
  private noteHolder(deviceId: string, owner: string, expiresAt: number): void {
    this.elsewhere.set(deviceId, { owner, until: expiresAt - this.ttlMs / 2 });
  }

  private otherHolder(deviceId: string, now: number): string | null {
    const other = this.elsewhere.get(deviceId);
    if (other === undefined) return null;
    if (other.until > now) return other.owner;
    this.elsewhere.delete(deviceId);
    return null;
  }

  /** True while this worker still holds the device with the token it claimed it with. */
  holds(deviceId: string): boolean {
    const mine = this.held.get(deviceId);
    if (mine === undefined) return false;
    const row = this.row(deviceId);
    return row !== undefined && row.owner === this.workerId && row.token === mine.token && row.expires_at >= this.now();
  }

  /**
   * Throws LeaseLost unless this worker holds the device with its token. Called inside the
   * transaction that writes a job's outcome: the row update locks the lease until commit, so a
   * takeover waits for that transaction or finds it already refused.
   */
  fence(deviceId: string): void {
    const mine = this.held.get(deviceId);
    const changes =
      mine === undefined
        ? 0
        : this.db
            .prepare('UPDATE device_leases SET token = token WHERE device_id = ? AND owner = ? AND token = ? AND expires_at >= ?')
            .run(deviceId, this.workerId, mine.token, this.now()).changes;
    if (changes !== 1) {
      this.held.delete(deviceId);
      throw new LeaseLost(`device '${deviceId}' is no longer served by worker '${this.workerId}'`);
    }
  }

  /** Extends every unexpired lease this worker holds; forgets the others (taken, or lapsed: claimed anew when needed). */
  renew(): void {
    const now = this.now();
    this.db.prepare('UPDATE device_leases SET expires_at = ? WHERE owner = ? AND expires_at >= ?').run(now + this.ttlMs, this.workerId, now);
    const rows = this.db.prepare('SELECT device_id, token FROM device_leases WHERE owner = ? AND expires_at >= ?').all(this.workerId, now + this.ttlMs) as {
      device_id: string;
      token: number;
    }[];
    const still = new Map(rows.map((r) => [r.device_id, r.token]));
    for (const [deviceId, mine] of this.held) {
      if (still.get(deviceId) === mine.token) mine.until = now + this.ttlMs / 2;
      else this.held.delete(deviceId);
    }
  }

  /** Stops renewing and hands every lease back at once (a clean shutdown). */
  release(): void {
    if (this.renewer !== null) clearInterval(this.renewer);
    this.renewer = null;
    this.db.prepare('UPDATE device_leases SET expires_at = 0 WHERE owner = ?').run(this.workerId);
    this.held.clear();
  }

  private row(deviceId: string): { owner: string; token: number; expires_at: number } | undefined {
    return this.db.prepare('SELECT owner, token, expires_at FROM device_leases WHERE device_id = ?').get(deviceId) as
      | { owner: string; token: number; expires_at: number }
      | undefined;
  }
}
