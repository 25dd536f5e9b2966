/**
 * The embedded broker's access control: over TLS a device is who its client
 * certificate says, and may only publish its own up topic and subscribe its own down topic. A
 * device that tries another device's topic is refused; so is a wrong client id, a foreign CA, a
 * wrong password, a revoked device and an over-sized frame.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe, stripSharePrefix } from '../../platform-server/src/mqtt/acl';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../platform-server/src/mqtt/broker';
import { MqttPlatformTransport } from '../../net/mqtt/mqtt-transport';
import { META, requireMeta } from '../../platform-server/src/db/meta';
import { OWNER_PLATFORM } from '../../platform-server/src/db/key-store';
import { getDevice, setDeviceStatus } from '../../platform-server/src/db/devices';
import { createCertificateAuthority, issueCertificate } from '../../platform-server/src/pki/certificates';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { platformBrokerPassword, platformPasswordCheck } from '../../platform-server/src/broker-credentials';
import { PLATFORM_KEYS, PLATFORM_PRINCIPAL } from '../../platform-server/src/platform-home';
import { provisionDevice } from '../../platform-server/src/provision';
import { tempPlatform, type TempPlatform } from './_fixtures';

describe('ACL rules', () => {
  const dev = { role: 'device' as const, id: 'a' };
  const platform = { role: 'platform' as const, id: 'platform' };
  it('lets a device publish only its up topic and subscribe only its down topic', () => {
    expect(mayPublish(dev, 'tapcard/v1/a/up')).toBe(true);
    for (const t of ['tapcard/v1/b/up', 'tapcard/v1/a/down', 'tapcard/v1/+/up', '$SYS/x', 'other']) expect(mayPublish(dev, t), t).toBe(false);
    expect(maySubscribe(dev, 'tapcard/v1/a/down')).toBe(true);
    for (const f of ['tapcard/v1/b/down', 'tapcard/v1/+/down', 'tapcard/v1/#', '#', 'tapcard/v1/a/up', '$share/g/tapcard/v1/a/down']) {
      expect(maySubscribe(dev, f), f).toBe(false);
    }
  });

  it('lets the platform publish any down topic and subscribe the up topics, shared or not', () => {
    expect(mayPublish(platform, 'tapcard/v1/a/down')).toBe(true);
    expect(mayPublish(platform, 'tapcard/v1/a/up')).toBe(false);
    expect(mayPublish(platform, 'tapcard/v1/+/down')).toBe(false);
    for (const f of ['tapcard/v1/+/up', '$share/platform/tapcard/v1/+/up', 'tapcard/v1/a/up']) expect(maySubscribe(platform, f), f).toBe(true);
    for (const f of ['#', 'tapcard/v1/#', 'tapcard/v1/+/down', '$share//tapcard/v1/+/up', '$share/+/tapcard/v1/+/up']) {
      expect(maySubscribe(platform, f), f).toBe(false);
    }
    expect(stripSharePrefix('$share/platform/tapcard/v1/+/up')).toBe('tapcard/v1/+/up');
  });
});

let t: TempPlatform;
let broker: EmbeddedBroker;
let platformRx: MqttPlatformTransport;
const received: { deviceId: string; frame: string }[] = [];
const events: { event: string; detail: Record<string, unknown> }[] = [];
let a: ProvisioningBundle;
let b: ProvisioningBundle;
let c: ProvisioningBundle;

beforeAll(async () => {
  t = await tempPlatform();
  a = (await provisionDevice(t.platform, { deviceId: 'dev-a' })).bundle;
  b = (await provisionDevice(t.platform, { deviceId: 'dev-b' })).bundle;
  c = (await provisionDevice(t.platform, { deviceId: 'dev-c' })).bundle;
  setDeviceStatus(t.platform.db, 'dev-c', 'revoked');
  const p = t.platform;
  broker = await startEmbeddedBroker({
    port: 0,
    tls: {
      port: 0,
      keyPem: p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_SERVER_KEY).toString('utf8'),
      certPem: requireMeta(p.db, META.BROKER_SERVER_CERT),
      caPem: p.caCertPem(),
    },
    checkPassword: platformPasswordCheck(p),
    admit: (who) => who.role === 'platform' || getDevice(p.db, who.id)?.status === 'active',
    log: (event, detail) => events.push({ event, detail }),
  });
  platformRx = await MqttPlatformTransport.connect({
    url: broker.url,
    clientId: 'platform.test',
    username: PLATFORM_PRINCIPAL,
    password: platformBrokerPassword(p),
  });
  platformRx.onFrame((deviceId, frame) => received.push({ deviceId, frame: Buffer.from(frame).toString('hex') }));
});

afterAll(async () => {
  await platformRx.close();
  await broker.close();
  t.cleanup();
});

function tlsOptions(bundle: ProvisioningBundle, clientId = bundle.deviceId): IClientOptions {
  return {
    clientId,
    clean: false,
    reconnectPeriod: 0,
    ca: bundle.tls.caCertPem,
    cert: bundle.tls.certPem,
    key: bundle.tls.keyPem,
    rejectUnauthorized: true,
  };
}

/** Connects and resolves with the client, or rejects with the broker's refusal or a closed connection. */
function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { connectTimeout: 5000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => {
      client.end(true);
      reject(new Error('connection closed before CONNACK'));
    });
  });
}

/** The QoS the broker granted, 128 for a refusal (mqtt.js reports a refused SUBACK as an error). */
async function granted(client: MqttClient, filter: string): Promise<number> {
  try {
    const g = await client.subscribeAsync(filter, { qos: 1 });
    return g[0].qos;
  } catch (err) {
    if (/Subscribe error/.test((err as Error).message)) return 128;
    throw err;
  }
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('embedded broker over TLS with client certificates', () => {
  it('delivers a device frame from its own up topic to the platform', async () => {
    const dev = await connect(broker.tlsUrl!, tlsOptions(a));
    await dev.publishAsync('tapcard/v1/dev-a/up', Buffer.from('027000000100', 'hex'), { qos: 1 });
    await waitFor(() => received.some((r) => r.deviceId === 'dev-a'), 'dev-a frame');
    expect(received).toContainEqual({ deviceId: 'dev-a', frame: '027000000100' });
    await dev.endAsync();
  });

  it("refuses a device publishing to another device's topic: connection closed, nothing delivered", async () => {
    const dev = await connect(broker.tlsUrl!, tlsOptions(a));
    const gone = closed(dev);
    dev.publish('tapcard/v1/dev-b/up', Buffer.from('0270000001ff', 'hex'), { qos: 1 });
    await gone;
    expect(events).toContainEqual({ event: 'publish.refused', detail: { clientId: 'dev-a', topic: 'tapcard/v1/dev-b/up' } });
    // dev-b's own frame arrives; the forged one never did.
    const other = await connect(broker.tlsUrl!, tlsOptions(b));
    await other.publishAsync('tapcard/v1/dev-b/up', Buffer.from('027000000101', 'hex'), { qos: 1 });
    await waitFor(() => received.some((r) => r.deviceId === 'dev-b'), 'dev-b frame');
    expect(received.filter((r) => r.deviceId === 'dev-b')).toEqual([{ deviceId: 'dev-b', frame: '027000000101' }]);
    await other.endAsync();
    dev.end(true);
  });

  it("answers a subscription to another device's topic (or a wildcard) with 0x80 and delivers nothing", async () => {
    const dev = await connect(broker.tlsUrl!, tlsOptions(a));
    const got: string[] = [];
    dev.on('message', (topic) => got.push(topic));
    expect(await granted(dev, 'tapcard/v1/dev-a/down')).toBe(1);
    for (const f of ['tapcard/v1/dev-b/down', 'tapcard/v1/+/down', 'tapcard/v1/#']) expect(await granted(dev, f), f).toBe(128);
    await platformRx.send('dev-b', Uint8Array.of(2, 0x70, 0, 0, 0));
    await platformRx.send('dev-a', Uint8Array.of(2, 0x70, 0, 0, 1));
    await waitFor(() => got.length > 0, 'dev-a down frame');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['tapcard/v1/dev-a/down']);
    await dev.endAsync();
  });

  it('refuses a device whose client id is not its certificate CN (session takeover)', async () => {
    await expect(connect(broker.tlsUrl!, tlsOptions(a, 'dev-b'))).rejects.toThrow(/Not authorized/i);
  });

  it('refuses a revoked device even with a valid certificate', async () => {
    await expect(connect(broker.tlsUrl!, tlsOptions(c))).rejects.toThrow(/Not authorized/i);
  });

  it('refuses a certificate from another CA at the TLS handshake', async () => {
    const rogueCa = await createCertificateAuthority('rogue');
    const rogue = await issueCertificate(rogueCa, { role: 'device', commonName: 'dev-a' });
    await expect(
      connect(broker.tlsUrl!, { ...tlsOptions(a), cert: rogue.certPem, key: rogue.keyPem }),
    ).rejects.toThrow();
  });

  it('refuses a frame over 140 octets', async () => {
    const dev = await connect(broker.tlsUrl!, tlsOptions(a));
    const gone = closed(dev);
    dev.publish('tapcard/v1/dev-a/up', Buffer.alloc(141, 1), { qos: 1 });
    await gone;
    expect(events.some((e) => e.event === 'publish.refused' && String(e.detail.reason).includes('141'))).toBe(true);
    dev.end(true);
  });
});

describe('embedded broker, plain listener (development)', () => {
  it('accepts a device with its bundle password and applies the same ACL', async () => {
    const dev = await connect(broker.url, { clientId: 'dev-a', clean: false, reconnectPeriod: 0, username: 'dev-a', password: a.broker.password });
    expect(await granted(dev, 'tapcard/v1/dev-b/down')).toBe(128);
    await dev.endAsync();
  });

  it("refuses a wrong password, another device's password, and no credentials", async () => {
    const base = { clientId: 'dev-a', reconnectPeriod: 0 };
    await expect(connect(broker.url, { ...base, username: 'dev-a', password: 'wrong' })).rejects.toThrow(/Bad username or password/i);
    await expect(connect(broker.url, { ...base, username: 'dev-a', password: b.broker.password })).rejects.toThrow(/Bad username or password/i);
    await expect(connect(broker.url, base)).rejects.toThrow(/Bad username or password/i);
  });
});
