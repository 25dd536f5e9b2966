/**
 * The provisioning bundle: everything one terminal needs to join the platform, as one JSON file
 * that `tapcard platform provision` writes (mode 0600) and the emulator, the in-process terminal
 * and the board load. It holds secrets (device TLS key, broker password, link keys, the SE's ISD
 * keys): treat the file like a key, never log it, and delete it once the device has it.
 *
 *   format      "tapcard-provisioning/1"
 *   deviceId    MQTT client id and topic level (contracts/device-id.ts)
 *   broker      url, the device's topics, plain-listener credentials, frameSize
 *   tls         PEMs: platform CA, device certificate and key (MQTT over TLS)
 *   link        ETSI TS 102 225 key set: keyIndex (1..15), kic, kid (AES-128, hex); quietSeconds
 *               (optional, 1..3600): how long the platform may be silent during a job before the
 *               board gives the job up (docs/board.md)
 *   se          serial (10 bytes hex), isdKeyVersion, isd { enc, mac, dek } (AES-128, hex)
 *
 * The board reads the same file with its own field-by-field reader
 * (firmware/src/board/espruino/provisioning.ts), which checks the same rules on what it uses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { isValidDeviceId } from './device-id';
import { TapcardError } from './errors';
import { BUNDLE_FORMAT } from './provisioning-format';

export { BUNDLE_FORMAT };

const aes128Hex = z.string().regex(/^[0-9a-f]{32}$/, '32 lower-case hex digits');
const nonEmpty = z.string().min(1, 'a string');
const pem = z.string().includes('-----BEGIN ', { message: 'a PEM' });

export const ProvisioningBundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  deviceId: z.string().refine(isValidDeviceId, 'a device id'),
  createdAt: z.string(),
  broker: z.object({
    url: z.string().regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL'),
    upTopic: nonEmpty,
    downTopic: nonEmpty,
    username: nonEmpty,
    password: nonEmpty,
    frameSize: z.number().int().min(10, 'an integer >= 10'),
  }),
  tls: z.object({ caCertPem: pem, certPem: pem, keyPem: pem }),
  link: z.object({ keyIndex: z.number().int().min(1).max(15), kic: aes128Hex, kid: aes128Hex, quietSeconds: z.number().int().min(1).max(3600).optional() }),
  se: z.object({
    serial: z.string().regex(/^[0-9a-f]{20}$/, '20 lower-case hex digits'),
    isdKeyVersion: z.number().int().min(1).max(0x7f),
    isd: z.object({ enc: aes128Hex, mac: aes128Hex, dek: aes128Hex }),
  }),
});

export type ProvisioningBundle = z.infer<typeof ProvisioningBundleSchema>;

export class BundleError extends TapcardError {}

/** Checks a parsed JSON value; the error names the first bad field. */
export function parseBundle(value: unknown): ProvisioningBundle {
  const result = ProvisioningBundleSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new BundleError(`provisioning bundle: ${field}: ${issue.message}`);
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
