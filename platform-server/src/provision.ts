/**
 * Provisioning one device: its key and certificate from the platform CA, a fresh SE
 * serial with the ISD keys diversified from KMC over it (pki/diversify.ts), a TS 102 225 link key
 * set (random KIc/KID), an MQTT password for the plain listener, and the bundle that carries all of
 * it to the device (pki/bundle.ts). The database keeps the link keys sealed and the password hashed;
 * the ISD keys are not stored, they are derived again from KMC when needed. The audit entry and the
 * returned summary carry KCVs and serials only.
 */
import { randomBytes } from 'node:crypto';
import { audit } from './db/audit';
import { deviceOwner, OWNER_PLATFORM } from './db/key-store';
import { getDevice, insertDevice } from './db/devices';
import { SMS_USER_DATA_MAX } from '../../firmware/src/core/link/udh';
import { assertDeviceId } from '../../contracts/device-id';
import { downTopic, upTopic } from '../../net/mqtt/topics';
import { BUNDLE_FORMAT, type ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { issueCertificate } from './pki/certificates';
import { ISD_KEY_VERSION, SE_SERIAL_LEN, aesKcv, diversifyIsdKeys, wipeIsdKeys } from './pki/diversify';
import { hashSecret, newSecret } from './pki/secrets';
import { PLATFORM_KEYS, type Platform } from './platform-home';

/** Key store purposes of a device's link key set. */
export const LINK_KEYS = { KIC: 'link-kic', KID: 'link-kid' } as const;
/** The key index (KVN-like, 1..15) announced in KIc/KID for the first link key set. */
export const LINK_KEY_INDEX = 1;

export class ProvisionError extends Error {
  readonly code = 'PROVISION';
}

export interface ProvisionRequest {
  deviceId: string;
  /** Broker URL written into the bundle; default: the platform's configured one. */
  brokerUrl?: string;
  frameSize?: number;
  actor?: string;
}

export interface ProvisionSummary {
  deviceId: string;
  seSerial: string;
  certSerial: string;
  brokerUrl: string;
  kcv: { isdEnc: string; isdMac: string; isdDek: string; kic: string; kid: string };
}

export async function provisionDevice(p: Platform, req: ProvisionRequest): Promise<{ bundle: ProvisioningBundle; summary: ProvisionSummary }> {
  assertDeviceId(req.deviceId);
  if (getDevice(p.db, req.deviceId) !== undefined) throw new ProvisionError(`device '${req.deviceId}' is already provisioned`);
  const brokerUrl = req.brokerUrl ?? p.brokerUrl();
  if (!/^mqtts?:\/\/[^/]+/.test(brokerUrl)) throw new ProvisionError(`broker URL '${brokerUrl}': expected mqtt://host:port or mqtts://host:port`);

  const cert = await issueCertificate(p.certificateAuthority(), { role: 'device', commonName: req.deviceId });
  const serial = randomBytes(SE_SERIAL_LEN);
  const kmc = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.KMC);
  const isd = diversifyIsdKeys(kmc, serial);
  kmc.fill(0);
  const kic = randomBytes(16);
  const kid = randomBytes(16);
  const password = newSecret();
  const seSerial = serial.toString('hex');
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

  try {
    const summary: ProvisionSummary = {
      deviceId: req.deviceId,
      seSerial,
      certSerial: cert.serial,
      brokerUrl,
      kcv: { isdEnc: aesKcv(isd.enc), isdMac: aesKcv(isd.mac), isdDek: aesKcv(isd.dek), kic: aesKcv(kic), kid: aesKcv(kid) },
    };
    p.db.transaction(() => {
      insertDevice(p.db, {
        id: req.deviceId,
        seSerial,
        isdKeyVersion: ISD_KEY_VERSION,
        certSerial: cert.serial,
        certPem: cert.certPem,
        brokerSecretHash: hashSecret(password),
      });
      p.keys.put(deviceOwner(req.deviceId), LINK_KEYS.KIC, kic, summary.kcv.kic, LINK_KEY_INDEX);
      p.keys.put(deviceOwner(req.deviceId), LINK_KEYS.KID, kid, summary.kcv.kid, LINK_KEY_INDEX);
      audit(p.db, req.actor ?? 'cli', 'device.provision', req.deviceId, {
        seSerial,
        certSerial: cert.serial,
        isdKeyVersion: ISD_KEY_VERSION,
        kcv: summary.kcv,
      });
    })();
    const bundle: ProvisioningBundle = {
      format: BUNDLE_FORMAT,
      deviceId: req.deviceId,
      createdAt: new Date().toISOString(),
      broker: {
        url: brokerUrl,
        upTopic: upTopic(req.deviceId),
        downTopic: downTopic(req.deviceId),
        username: req.deviceId,
        password,
        frameSize: req.frameSize ?? SMS_USER_DATA_MAX,
      },
      tls: { caCertPem: p.caCertPem(), certPem: cert.certPem, keyPem: cert.keyPem },
      link: { keyIndex: LINK_KEY_INDEX, kic: hex(kic), kid: hex(kid) },
      se: { serial: seSerial, isdKeyVersion: ISD_KEY_VERSION, isd: { enc: hex(isd.enc), mac: hex(isd.mac), dek: hex(isd.dek) } },
    };
    return { bundle, summary };
  } finally {
    wipeIsdKeys(isd);
    kic.fill(0);
    kid.fill(0);
  }
}
