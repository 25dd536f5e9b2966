/**
 * Device leases between workers sharing one database: one holder at a time, takeover after expiry
 * with a higher fencing token, and a worker that saw another holder hands frames to it without
 * asking the database again for half a lease, never past the holder's expiry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlatformDb } from '../../platform-server/src/db/port';
import { provisionDevice } from '../../platform-server/src/provision';
import { DeviceLeases, LeaseLost } from '../../platform-server/src/workers/device-leases';
import { tempPlatform, type TempPlatform } from './_fixtures';

const TTL = 10_000;

let t: TempPlatform;
beforeEach(async () => {
  t = await tempPlatform();
  for (const deviceId of ['dev-1', 'dev-2']) await provisionDevice(t.platform, { deviceId });
});
afterEach(() => t.cleanup());

/** The platform's database, counting the statements run on it. */
function counted(db: PlatformDb): { db: PlatformDb; statements: () => number } {
  let n = 0;
  const wrapped = Object.create(db) as PlatformDb;
  wrapped.prepare = (sql: string) => {
    n++;
    return db.prepare(sql);
  };
  return { db: wrapped, statements: () => n };
}

describe('device leases', () => {
  it('a device the platform does not know is nobody\'s: no lease written, no error (a frame on its up topic is dropped, the worker lives)', () => {
    const w1 = new DeviceLeases(t.platform.db, 'w1', TTL);
    expect(w1.claim('stranger-1')).toBe(false);
    expect(w1.owner('stranger-1')).toBeNull();
    expect(t.platform.db.prepare('SELECT COUNT(*) AS n FROM device_leases').get()).toEqual({ n: 0 });
    expect(w1.claim('dev-1')).toBe(true);
  });

  it('one holder; the other worker answers from what it saw, asks again after half a lease, takes over once the holder stops renewing', () => {
    let clock = 1_000_000;
    const w1 = new DeviceLeases(t.platform.db, 'w1', TTL, () => clock);
    const c = counted(t.platform.db);
    const w2 = new DeviceLeases(c.db, 'w2', TTL, () => clock);

    expect(w1.claim('dev-1')).toBe(true);
    expect(w2.claim('dev-1')).toBe(false);
    expect(w2.owner('dev-1')).toBe('w1');
    const asked = c.statements();
    clock += TTL / 2 - 1;
    for (let i = 0; i < 10; i++) {
      expect(w2.claim('dev-1')).toBe(false);
      expect(w2.owner('dev-1')).toBe('w1');
    }
    expect(c.statements()).toBe(asked);

    // Half a lease on: w2 asks again; w1 renewed meanwhile, so it still holds.
    w1.renew();
    clock += 2;
    expect(w2.claim('dev-1')).toBe(false);
    expect(c.statements()).toBeGreaterThan(asked);

    // w1 stops renewing (killed): w2 takes the device once the lease expired, with a new token.
    clock += TTL + 1;
    expect(w2.claim('dev-1')).toBe(true);
    expect(w2.holds('dev-1')).toBe(true);
    expect(w1.holds('dev-1')).toBe(false);
    expect(() => t.platform.db.transaction(() => w1.fence('dev-1'))()).toThrow(LeaseLost);
    expect(() => t.platform.db.transaction(() => w2.fence('dev-1'))()).not.toThrow();
    const row = t.platform.db.prepare('SELECT owner, token FROM device_leases WHERE device_id = ?').get('dev-1');
    expect(row).toEqual({ owner: 'w2', token: 2 });
  });

  it('what a worker saw never outlives the holder\'s lease: a device whose holder died is taken at expiry', () => {
    let clock = 5_000_000;
    const w1 = new DeviceLeases(t.platform.db, 'w1', TTL, () => clock - TTL / 2); // w1 took it half a lease ago
    const w2 = new DeviceLeases(t.platform.db, 'w2', TTL, () => clock);
    expect(w1.claim('dev-2')).toBe(true);
    expect(w2.claim('dev-2')).toBe(false);
    clock += TTL / 2 + 1; // w1's lease expired now
    expect(w2.claim('dev-2')).toBe(true);
  });
});
