/**
 * The provisioning bundle: everything one terminal needs to join the platform, as one JSON file
 * that `tapcard platform provision` writes (mode 0600) and the emulator, the in-process terminal
 * and the board load. It holds secrets (device TLS key, broker password, link keys, the SE's ISD
 * keys): treat the file like a key, never log it, and delete it once the device has it.
 *
 *   format      "tapcard-provisioning/1"
 *   deviceId    MQTT client id and topic level (mqtt/topics.ts)
 *   broker      url, the device's topics, plain-listener credentials, frameSize
 *   tls         PEMs: platform CA, device certificate and key (MQTT over TLS)
 *   link        TS 102 225 key set: keyIndex (1..15), kic, kid (AES-128, hex)
 *   se          serial (10 bytes hex), isdKeyVersion, isd { enc, mac, dek } (AES-128, hex; pki/diversify.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isValidDeviceId } from '../mqtt/topics';

export const BUNDLE_FORMAT = 'tapcard-provisioning/1';

export interface ProvisioningBundle {
  format: typeof BUNDLE_FORMAT;
  deviceId: string;
  createdAt: string;
  broker: {
    url: string;
    upTopic: string;
    downTopic: string;
    username: string;
    password: string;
    frameSize: number;
  };
  tls: { caCertPem: string; certPem: string; keyPem: string };
  link: { keyIndex: number; kic: string; kid: string };
  se: { serial: string; isdKeyVersion: number; isd: { enc: string; mac: string; dek: string } };
}

export class BundleError extends Error {
  readonly code = 'BUNDLE';
}

const AES128_HEX = /^[0-9a-f]{32}$/;

/** Checks a parsed JSON value field by field; the error names the first bad field. */
export function parseBundle(value: unknown): ProvisioningBundle {
  const b = value as ProvisioningBundle;
  const fail = (field: string, want: string): never => {
    throw new BundleError(`provisioning bundle: ${field}: expected ${want}`);
  };
  if (typeof value !== 'object' || value === null) fail('(root)', 'a JSON object');
  if (b.format !== BUNDLE_FORMAT) fail('format', `"${BUNDLE_FORMAT}"`);
  if (typeof b.deviceId !== 'string' || !isValidDeviceId(b.deviceId)) fail('deviceId', 'a device id');
  if (typeof b.broker !== 'object' || b.broker === null) fail('broker', 'an object');
  if (typeof b.broker.url !== 'string' || !/^mqtts?:\/\//.test(b.broker.url)) fail('broker.url', 'an mqtt:// or mqtts:// URL');
  for (const f of ['upTopic', 'downTopic', 'username', 'password'] as const) {
    if (typeof b.broker[f] !== 'string' || b.broker[f] === '') fail(`broker.${f}`, 'a string');
  }
  if (!Number.isInteger(b.broker.frameSize) || b.broker.frameSize < 10) fail('broker.frameSize', 'an integer >= 10');
  if (typeof b.tls !== 'object' || b.tls === null) fail('tls', 'an object');
  for (const f of ['caCertPem', 'certPem', 'keyPem'] as const) {
    if (typeof b.tls[f] !== 'string' || !b.tls[f].includes('-----BEGIN ')) fail(`tls.${f}`, 'a PEM');
  }
  if (typeof b.link !== 'object' || b.link === null) fail('link', 'an object');
  if (!Number.isInteger(b.link.keyIndex) || b.link.keyIndex < 1 || b.link.keyIndex > 15) fail('link.keyIndex', '1..15');
  if (!AES128_HEX.test(String(b.link.kic))) fail('link.kic', '32 lower-case hex digits');
  if (!AES128_HEX.test(String(b.link.kid))) fail('link.kid', '32 lower-case hex digits');
  if (typeof b.se !== 'object' || b.se === null) fail('se', 'an object');
  if (!/^[0-9a-f]{20}$/.test(String(b.se.serial))) fail('se.serial', '20 lower-case hex digits');
  if (!Number.isInteger(b.se.isdKeyVersion) || b.se.isdKeyVersion < 1 || b.se.isdKeyVersion > 0x7f) fail('se.isdKeyVersion', '1..127');
  if (typeof b.se.isd !== 'object' || b.se.isd === null) fail('se.isd', 'an object');
  for (const f of ['enc', 'mac', 'dek'] as const) {
    if (!AES128_HEX.test(String(b.se.isd[f]))) fail(`se.isd.${f}`, '32 lower-case hex digits');
  }
  return b;
}

export function readBundle(file: string): ProvisioningBundle {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BundleError(`provisioning bundle ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BundleError(`provisioning bundle ${file}: not JSON`);
  }
  return parseBundle(json);
}

/** Writes the bundle with mode 0600; refuses to overwrite an existing file. */
export function writeBundle(file: string, bundle: ProvisioningBundle): void {
  writeFileSync(file, JSON.stringify(bundle, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
}
