/**
 * The permission request (flow 1, TAR_PERMISSION, docs/flows.md §1): the MCU names its SE by
 * serial; an active device whose SE it is gets the SE's ISD key set with an expiry, sealed by the
 * link into the PoR (data-security-unit.ts permissionGrant), else a refusal. Every answer is
 * audited with KCVs only, and a grant is recorded as a finished `permission` job.
 */
import { GRANT_DENIED, SE_SERIAL_LEN } from '../../../firmware/src/core/mcu/permission';
import { audit } from '../db/audit';
import { getDevice } from '../db/devices';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { aesKcv, wipeIsdKeys } from '../pki/diversify';
import { isdKeys, permissionGrant } from './data-security-unit';
import { createJob } from './jobs';

/** The answer to a device's permission request (its SE serial): the grant, or GRANT_DENIED. */
export function answerPermission(p: Platform, log: Log, grantTtlS: number, deviceId: string, data: Uint8Array): Uint8Array {
  const device = getDevice(p.db, deviceId);
  const serial = Buffer.from(data).toString('hex');
  if (device === undefined || device.status !== 'active' || data.length !== SE_SERIAL_LEN || serial !== device.seSerial) {
    audit(p.db, `device:${deviceId}`, 'permission.denied', deviceId, { seSerial: data.length === SE_SERIAL_LEN ? serial : null });
    log('dpu.permission.denied', { deviceId });
    return Uint8Array.from([GRANT_DENIED]);
  }
  const expiresAt = Math.floor(Date.now() / 1000) + grantTtlS;
  // One derivation for the KCVs and the grant.
  const keys = isdKeys(p, device.seSerial);
  let grant: Uint8Array;
  let kcv: { isdEnc: string; isdMac: string; isdDek: string };
  try {
    kcv = { isdEnc: aesKcv(keys.enc), isdMac: aesKcv(keys.mac), isdDek: aesKcv(keys.dek) };
    grant = permissionGrant(keys, device.isdKeyVersion, expiresAt);
  } finally {
    wipeIsdKeys(keys);
  }
  const job = p.db.transactionGrouped(() => {
    const granted = createJob(p.db, 'permission', deviceId, null, 'done', { expiresAt, kcv });
    audit(p.db, `device:${deviceId}`, 'permission.granted', deviceId, { jobId: granted.id, seSerial: device.seSerial, kvn: device.isdKeyVersion, expiresAt, kcv });
    return granted;
  })();
  log('dpu.permission.granted', { deviceId, jobId: job.id, expiresAt });
  // The link seals the grant into the PoR and the caller's copy is dropped with the request.
  return grant;
}
