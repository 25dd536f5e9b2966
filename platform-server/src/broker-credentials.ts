/**
 * The embedded broker's password check for its plain listener, backed by the platform database:
 * the platform principal's password is sealed in the key store, each device's is stored as a
 * scrypt hash (pki/secrets.ts), checked on the thread pool. A revoked or unknown device is refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { getDevice } from './db/devices';
import { OWNER_PLATFORM } from './db/key-store';
import type { PasswordCheck } from './mqtt/identity';
import { isValidDeviceId } from '../../contracts/device-id';
import { verifySecretAsync } from './pki/secrets';
import { PLATFORM_KEYS, PLATFORM_PRINCIPAL, type Platform } from './platform-home';

export function platformPasswordCheck(p: Platform): PasswordCheck {
  return async (username, password) => {
    if (username === PLATFORM_PRINCIPAL) {
      const expected = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_PASSWORD);
      const same = timingSafeEqual(sha256(expected), sha256(password));
      expected.fill(0);
      return same ? { role: 'platform', id: PLATFORM_PRINCIPAL } : null;
    }
    if (!isValidDeviceId(username)) return null;
    const device = getDevice(p.db, username);
    if (device === undefined || device.status !== 'active') return null;
    return (await verifySecretAsync(password, device.brokerSecretHash)) ? { role: 'device', id: device.id } : null;
  };
}

/** The platform principal's own broker password (to connect to its embedded broker). */
export function platformBrokerPassword(p: Platform): string {
  const b = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_PASSWORD);
  const s = b.toString('utf8');
  b.fill(0);
  return s;
}

function sha256(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}
