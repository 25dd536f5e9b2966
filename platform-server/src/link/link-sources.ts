/**
 * Where the platform link gets a device's key set and counters: the key store (sealed KIc/KID,
 * provision.ts) and the link_counters table. A revoked device gets no keys, so its frames are
 * dropped and nothing can be sent to it.
 */
import { DbCounterStore } from '../db/link-counters';
import { ReservedCounterStore } from './reserved-counter';
import { deviceOwner } from '../db/key-store';
import { getDevice } from '../db/devices';
import type { Platform } from '../platform-home';
import { LINK_KEYS } from '../provision';
import type { CounterSource, LinkKeySource } from './platform-link';

export function linkKeysFromStore(p: Platform): LinkKeySource {
  return (deviceId) => {
    const device = getDevice(p.db, deviceId);
    if (device === undefined || device.status !== 'active') return null;
    const owner = deviceOwner(deviceId);
    const row = p.db.prepare('SELECT version FROM key_store WHERE owner = ? AND purpose = ? ORDER BY version DESC LIMIT 1').get(owner, LINK_KEYS.KIC) as
      | { version: number }
      | undefined;
    if (row === undefined) return null;
    return { keyIndex: row.version, kic: p.keys.get(owner, LINK_KEYS.KIC, row.version), kid: p.keys.get(owner, LINK_KEYS.KID, row.version) };
  };
}

/**
 * Down counters one platform process sends under are reserved DOWN_COUNTER_BLOCK at a time
 * (reserved-counter.ts). With several workers (fence: workers/device-leases.ts) every counter is
 * written under the device's lease, so a worker that lost the device cannot send from a reservation.
 */
export const DOWN_COUNTER_BLOCK = 64;

export function countersFromDb(p: Platform, fence: ((deviceId: string) => void) | null = null): CounterSource {
  return (deviceId, direction) => {
    const stored = new DbCounterStore(p.db, deviceId, direction, fence);
    return direction === 'down' && fence === null ? new ReservedCounterStore(stored, DOWN_COUNTER_BLOCK) : stored;
  };
}
