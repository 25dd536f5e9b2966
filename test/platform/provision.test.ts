/**
 * Platform init and device provisioning: the bundle's certificate verifies against the platform
 * CA, its ISD keys are the KMC diversification over its SE serial (the scheme `tapcard gp --kmc`
 * uses), secrets are sealed in the database and only KCVs are reported.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diversifyIsdKeys as gpDiversify } from '../../host/gp/keys';
import { listAudit } from '../../platform-server/src/db/audit';
import { getDevice } from '../../platform-server/src/db/devices';
import { OWNER_PLATFORM } from '../../platform-server/src/db/key-store';
import { BundleError, parseBundle, readBundle, writeBundle, type ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { aesKcv } from '../../platform-server/src/pki/diversify';
import { verifySecret } from '../../platform-server/src/pki/secrets';
import { PLATFORM_KEYS, Platform, PlatformHomeError, initPlatform } from '../../platform-server/src/platform-home';
import { ProvisionError, provisionDevice, type ProvisionSummary } from '../../platform-server/src/provision';
import { NO_ENV_KEY, tempPlatform, type TempPlatform } from './_fixtures';

let t: TempPlatform;
let bundle: ProvisioningBundle;
let summary: ProvisionSummary;

beforeAll(async () => {
  t = await tempPlatform();
  ({ bundle, summary } = await provisionDevice(t.platform, { deviceId: 'term-01' }));
});
afterAll(() => t.cleanup());

describe('platform init', () => {
  it('writes the CA certificate, a 0600 development storage key, and refuses to run twice', async () => {
    const ca = new X509Certificate(readFileSync(t.init.caCertFile));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('tapcard platform CA');
    expect(statSync(path.join(t.dir, 'storage.key')).mode & 0o777).toBe(0o600);
    await expect(initPlatform(t.dir, { env: NO_ENV_KEY })).rejects.toThrow(PlatformHomeError);
  });

  it('takes the storage key from TAPCARD_STORAGE_KEY when set, and then writes no key file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-envkey-'));
    const env = { TAPCARD_STORAGE_KEY: 'ab'.repeat(32) };
    const s = await initPlatform(dir, { env });
    expect(s.storageKey.source).toBe('env');
    expect(existsSync(path.join(dir, 'storage.key'))).toBe(false);
    Platform.open(dir, env).close();
    expect(() => Platform.open(dir, { TAPCARD_STORAGE_KEY: 'cd'.repeat(32) })).toThrow(/does not open/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('provision', () => {
  it('issues a device certificate that verifies against the platform CA, CN = device id, OU = device', () => {
    const ca = new X509Certificate(bundle.tls.caCertPem);
    const cert = new X509Certificate(bundle.tls.certPem);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.subject).toMatch(/CN=term-01/);
    expect(cert.subject).toMatch(/OU=device/);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(BigInt('0x' + cert.serialNumber)).toBe(BigInt('0x' + summary.certSerial));
    // The private key in the bundle belongs to the certificate.
    const pub = createPublicKey(createPrivateKey(bundle.tls.keyPem)).export({ type: 'spki', format: 'der' });
    expect(pub.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
  });

  it('gives ISD keys diversified from KMC over the SE serial, as tapcard gp --kmc derives them', () => {
    const kmc = t.platform.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.KMC);
    const expected = gpDiversify(kmc, Buffer.from(bundle.se.serial, 'hex'));
    kmc.fill(0);
    expect(bundle.se.isd).toEqual({
      enc: Buffer.from(expected.enc).toString('hex'),
      mac: Buffer.from(expected.mac).toString('hex'),
      dek: Buffer.from(expected.dek).toString('hex'),
    });
    expect(bundle.se.serial).toMatch(/^[0-9a-f]{20}$/);
    expect(new Set([bundle.se.isd.enc, bundle.se.isd.mac, bundle.se.isd.dek]).size).toBe(3);
  });

  it('reports only KCVs, which match the bundle keys', () => {
    expect(summary.kcv).toEqual({
      isdEnc: aesKcv(Buffer.from(bundle.se.isd.enc, 'hex')),
      isdMac: aesKcv(Buffer.from(bundle.se.isd.mac, 'hex')),
      isdDek: aesKcv(Buffer.from(bundle.se.isd.dek, 'hex')),
      kic: aesKcv(Buffer.from(bundle.link.kic, 'hex')),
      kid: aesKcv(Buffer.from(bundle.link.kid, 'hex')),
    });
    const text = JSON.stringify(summary) + JSON.stringify(listAudit(t.platform.db));
    for (const secret of [bundle.link.kic, bundle.link.kid, bundle.se.isd.enc, bundle.se.isd.mac, bundle.se.isd.dek, bundle.broker.password]) {
      expect(text).not.toContain(secret);
    }
  });

  it('records the device and SE, seals the link keys, and hashes the broker password', () => {
    const d = getDevice(t.platform.db, 'term-01');
    expect(d).toMatchObject({ id: 'term-01', status: 'active', seSerial: bundle.se.serial, isdKeyVersion: 0x30 });
    expect(verifySecret(bundle.broker.password, d!.brokerSecretHash)).toBe(true);
    expect(Buffer.from(t.platform.keys.get('device:term-01', 'link-kic')).toString('hex')).toBe(bundle.link.kic);
    const rows = t.platform.db.prepare('SELECT sealed FROM key_store').all() as { sealed: Buffer }[];
    for (const r of rows) expect(r.sealed.includes(Buffer.from(bundle.link.kic, 'hex'))).toBe(false);
  });

  it('refuses a second device with the same id, and a bad id', async () => {
    await expect(provisionDevice(t.platform, { deviceId: 'term-01' })).rejects.toThrow(ProvisionError);
    await expect(provisionDevice(t.platform, { deviceId: 'bad/id' })).rejects.toThrow(/device id/);
    await expect(provisionDevice(t.platform, { deviceId: 'Platform' })).rejects.toThrow(/not 'platform'/);
  });

  it('writes a 0600 bundle that reads back, never over an existing file, and validates fields', () => {
    const file = path.join(t.dir, 'term-01.json');
    writeBundle(file, bundle);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readBundle(file)).toEqual(bundle);
    expect(() => writeBundle(file, bundle)).toThrow(/EEXIST/);
    expect(() => parseBundle({ ...bundle, link: { ...bundle.link, kic: 'xyz' } })).toThrow(/link\.kic/);
    expect(() => parseBundle({ ...bundle, format: 'other' })).toThrow(BundleError);
  });
});
