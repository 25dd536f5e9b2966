/**
 * Device ids, shared by the platform, the broker's ACL and every terminal: 1..23 letters, digits,
 * '-' or '_' (first a letter or digit). That is safe as an MQTT topic level (no '/', '+', '#') and
 * within the client id length every MQTT 3.1.1 server must accept (MQTT 3.1.1 §3.1.3.1), since a
 * device's client id is its device id. "platform" is reserved: it is the platform's certificate
 * CN, and brokers that take the CN as user name must never confuse a device with the platform.
 */
import { TapcardError } from './errors';

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,22}$/;
const RESERVED_IDS = ['platform'];

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID.test(id) && !RESERVED_IDS.includes(id.toLowerCase());
}

export function assertDeviceId(id: string): void {
  if (!isValidDeviceId(id)) {
    throw new TapcardError(`device id '${id}': expected 1-23 letters, digits, '-' or '_', starting with a letter or digit, not 'platform'`);
  }
}
