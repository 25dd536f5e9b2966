/**
 * Setting up many devices quickly, for the platform scale bench. `provisionDevice` issues an RSA
 * 2048 device certificate (node-forge: about 1 s each on this machine) and hashes the broker
 * password with scrypt N=2^14 (about 150 ms per hash, and again per CONNECT): 1,000 devices would
 * spend minutes before the first job. So the bench enrols its devices itself, writing what the
 * flows read (SE row with its serial, device row, sealed TS 102 225 link keys) and no certificate,
 * and runs the embedded broker (the production startEmbeddedBroker: ACL, payload limit) with its
 * own password table checked by a constant-time compare of SHA-256 digests. The platform joins that
 * broker in process (`startPlatform({ embeddedBroker })`), as `tapcard platform start` joins its own.
 * A bench device's stored password hash is no scrypt hash, so the platform's own password check
 * refuses it: bench devices only ever work on the bench broker.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SMS_USER_DATA_MAX } from '../firmware/src/core/link/udh';
import { insertDevice } from '../platform-server/src/db/devices';
import { OWNER_PLATFORM, deviceOwner } from '../platform-server/src/db/key-store';
import type { BrokerIdentity } from '../platform-server/src/mqtt/acl';
import { startEmbeddedBroker, type BrokerLog, type EmbeddedBroker } from '../platform-server/src/mqtt/broker';
import type { PasswordCheck } from '../platform-server/src/mqtt/identity';
import { downTopic, upTopic } from '../net/mqtt/topics';
import { BUNDLE_FORMAT, type ProvisioningBundle } from '../contracts/provisioning-bundle';
import { ISD_KEY_VERSION, SE_SERIAL_LEN, aesKcv, diversifyIsdKeys, wipeIsdKeys } from '../platform-server/src/pki/diversify';
import { newSecret } from '../platform-server/src/pki/secrets';
import { PLATFORM_KEYS, type Platform } from '../platform-server/src/platform-home';
import { LINK_KEYS, LINK_KEY_INDEX } from '../platform-server/src/provision';

/** The simulated fleet connects from one host, in batches: the broker's per-address bound must let it. */
export const BENCH_MAX_PENDING = 100_000;

/** What the bench broker admits: user name -> SHA-256 of the password, and the identity it gets. */
export class BenchCredentials {
  private readonly table = new Map<string, { digest: Buffer; identity: BrokerIdentity }>();

  add(username: string, password: string, identity: BrokerIdentity): void {
    this.table.set(username, { digest: sha256(Buffer.from(password)), identity });
  }

  readonly check: PasswordCheck = (username, password) => {
    const entry = this.table.get(username);
    if (entry === undefined) return null;
    return timingSafeEqual(entry.digest, sha256(password)) ? entry.identity : null;
  };
}

function sha256(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

/** The embedded broker with the bench's password table; the platform joins it in process (startPlatform embeddedBroker). */
export async function startBenchBroker(creds: BenchCredentials, log?: BrokerLog): Promise<EmbeddedBroker> {
  return startEmbeddedBroker({ port: 0, checkPassword: creds.check, maxPayload: SMS_USER_DATA_MAX, maxPendingPerAddress: BENCH_MAX_PENDING, log });
}

/** Enrols `ids` on the platform (one transaction) and returns their bundles, their passwords added to `creds`. */
export function enrolBenchDevices(p: Platform, ids: string[], brokerUrl: string, creds: BenchCredentials): ProvisioningBundle[] {
  const kmc = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.KMC);
  const bundles: ProvisioningBundle[] = [];
  try {
    p.db.transaction(() => {
      for (const id of ids) {
        const serial = randomBytes(SE_SERIAL_LEN);
        const isd = diversifyIsdKeys(kmc, serial);
        const kic = randomBytes(16);
        const kid = randomBytes(16);
        const password = newSecret();
        const seSerial = serial.toString('hex');
        insertDevice(p.db, {
          id,
          seSerial,
          isdKeyVersion: ISD_KEY_VERSION,
          certSerial: 'none: bench device',
          certPem: '',
          brokerSecretHash: 'none: bench broker only',
        });
        p.keys.put(deviceOwner(id), LINK_KEYS.KIC, kic, aesKcv(kic), LINK_KEY_INDEX);
        p.keys.put(deviceOwner(id), LINK_KEYS.KID, kid, aesKcv(kid), LINK_KEY_INDEX);
        creds.add(id, password, { role: 'device', id });
        const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
        bundles.push({
          format: BUNDLE_FORMAT,
          deviceId: id,
          createdAt: new Date().toISOString(),
          broker: { url: brokerUrl, upTopic: upTopic(id), downTopic: downTopic(id), username: id, password, frameSize: SMS_USER_DATA_MAX },
          tls: { caCertPem: '', certPem: '', keyPem: '' },
          link: { keyIndex: LINK_KEY_INDEX, kic: hex(kic), kid: hex(kid) },
          se: { serial: seSerial, isdKeyVersion: ISD_KEY_VERSION, isd: { enc: hex(isd.enc), mac: hex(isd.mac), dek: hex(isd.dek) } },
        });
        wipeIsdKeys(isd);
        kic.fill(0);
        kid.fill(0);
      }
    })();
  } finally {
    kmc.fill(0);
  }
  return bundles;
}
