/**
 * Where the platform link gets a device's key set and counters: the key store (sealed KIc/KID,
 * provision.ts) and the link_counters table. A revoked device gets no keys, so its frames are
 * dropped and nothing can be sent to it.
 */
import { DbCounterStore } from '../db/link-counters';
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

/** fence: several workers (workers/device-leases.ts) write counters only under the device's lease. */
export function countersFromDb(p: Platform, fence: ((deviceId: string) => void) | null = null): CounterSource {
  return (deviceId, direction) => new DbCounterStore(p.db, deviceId, direction, fence);
}
