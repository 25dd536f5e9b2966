/**
 * Refusals when a delete or status job is asked for (before any job row exists), with a code the
 * CLI maps to an exit code (contracts/exit-codes.ts).
 */
import { getDevice, type DeviceRecord } from '../db/devices';
import type { Platform } from '../platform-home';

export class JobRequestError extends Error {
  constructor(
    message: string,
    readonly code: 'DEVICE_INACTIVE' | 'NOT_INSTALLED' | 'BAD_REQUEST',
  ) {
    super(message);
  }
}

/** The device, when it is provisioned and active. */
export function activeDevice(p: Platform, deviceId: string): DeviceRecord {
  const device = getDevice(p.db, deviceId);
  if (device === undefined || device.status !== 'active') throw new JobRequestError(`device '${deviceId}' is not provisioned or not active`, 'DEVICE_INACTIVE');
  return device;
}
