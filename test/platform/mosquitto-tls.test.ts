/**
 * The platform on an external broker over TLS: a mosquitto this suite spawns with the files
 * `tapcard platform broker-cert` writes (client certificates from the platform CA, CN as user name,
 * the tapcard ACL). `tapcard platform start --broker mqtts://...` code path (startPlatform) connects
 * with the platform's client certificate; a device with its bundle gets answers through the link,
 * and a device reaching for another device's topics gets nothing. Skips with a message when
 * mosquitto is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POR } from '../../firmware/src/core/link/por-status';
import { RESPONSE } from '../../firmware/src/core/link/response-packet';
import { MqttDeviceTransport } from '../../net/mqtt/mqtt-transport';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { run } from '../../cli/platform';
import { provisionDevice } from '../../platform-server/src/provision';
import { startPlatform, type RunningPlatform } from '../../platform-server/src/server';
import { requireDebian } from '../helpers/skip';
import { DevicePeer } from './_device-peer';
import { tempPlatform, type TempPlatform } from './_fixtures';

const skip = requireDebian('platform over mosquitto with TLS client certificates', ['mosquitto']);

let t: TempPlatform;
let broker: ChildProcess;
let url: string;
let running: RunningPlatform;
let a: ProvisioningBundle;
let b: ProvisioningBundle;
const logs: string[] = [];
const cleanupDirs: string[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function tlsClient(bundle: ProvisioningBundle): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId: bundle.deviceId,
      clean: false,
      reconnectPeriod: 0,
      ca: bundle.tls.caCertPem,
      cert: bundle.tls.certPem,
      key: bundle.tls.keyPem,
    });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

describe.skipIf(skip)('platform on mosquitto over TLS with the documented ACL', () => {
  beforeAll(async () => {
    t = await tempPlatform();
    a = (await provisionDevice(t.platform, { deviceId: 'tls-a' })).bundle;
    b = (await provisionDevice(t.platform, { deviceId: 'tls-b' })).bundle;
    const port = await freePort();
    // mosquitto started as root drops to the 'mosquitto' user, which cannot enter the 0700 data
    // directory: its files go to a directory of their own that it can read (test keys only).
    const brokerDir = path.join(mkdtempSync(path.join(tmpdir(), 'tapcard-mosquitto-')), 'broker');
    cleanupDirs.push(path.dirname(brokerDir));
    chmodSync(path.dirname(brokerDir), 0o755); // mosquitto, dropped to its own user, must reach the files
    // What an operator runs (tapcard platform broker-cert), with a free port on loopback.
    expect(await run(['broker-cert', '--data', t.platform.dataDir, '--out', brokerDir, '--port', String(port), '--bind', '127.0.0.1'])).toBe(0);
    const f = (name: string): string => path.join(brokerDir, name);
    expect(statSync(f('broker.key')).mode & 0o777).toBe(0o600);
    // mosquitto started as root drops to the 'mosquitto' user, which cannot read root's 0600 key
    // (an operator chowns it): the test key is opened to it here.
    chmodSync(f('broker.key'), 0o644);
    appendFileSync(f('mosquitto.conf'), 'persistence false\nlog_dest stderr\n');
    broker = spawn('mosquitto', ['-c', f('mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let brokerLog = '';
    broker.stderr!.setEncoding('utf8').on('data', (s: string) => (brokerLog += s));
    broker.once('exit', (code) => {
      if (running === undefined) logs.push(`mosquitto exited ${code}: ${brokerLog}`);
    });
    url = `mqtts://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        running = await startPlatform(t.platform, {
          broker: url,
          mqttPort: 0,
          httpPort: 0,
          shareGroup: 'tls',
          log: (event, detail) => logs.push(JSON.stringify({ event, ...detail })),
        });
        break;
      } catch (err) {
        if (i > 100) throw new Error(`${(err as Error).message}; ${logs.join(' ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  afterAll(async () => {
    await running?.close();
    if (broker !== undefined) {
      const exited = new Promise((r) => broker.once('exit', r));
      broker.kill('SIGTERM');
      await exited;
    }
    t?.cleanup();
    for (const d of cleanupDirs) rmSync(d, { recursive: true, force: true });
  });

  it('connects the platform with its client certificate and answers a device over the link', async () => {
    expect(running.mqtt).toEqual({ url, tlsUrl: null, embedded: false });
    const transport = await MqttDeviceTransport.connect(a.deviceId, {
      url,
      clientId: a.deviceId,
      tls: { caPem: a.tls.caCertPem, certPem: a.tls.certPem, keyPem: a.tls.keyPem },
    });
    const peer = new DevicePeer(a, transport);
    expect(await peer.request(0x000001, Uint8Array.of(1))).toEqual({ code: RESPONSE.CLEAR, status: POR.TAR_UNKNOWN, data: '' });
    await transport.close();
  });

  it("gives a device nothing of another device's topics", async () => {
    const spy = await tlsClient(a);
    const got: string[] = [];
    spy.on('message', (topic) => got.push(topic));
    await spy.subscribeAsync('tapcard/v1/tls-b/down', { qos: 1 }).catch(() => undefined);
    await spy.subscribeAsync('tapcard/v1/+/up', { qos: 1 }).catch(() => undefined);
    // dev-a impersonating dev-b upstream: mosquitto drops the PUBLISH, the platform sees nothing.
    await spy.publishAsync('tapcard/v1/tls-b/up', Buffer.from('027000000100', 'hex'), { qos: 1 }).catch(() => undefined);
    // Real traffic for dev-b, both ways.
    const transport = await MqttDeviceTransport.connect(b.deviceId, {
      url,
      clientId: b.deviceId,
      tls: { caPem: b.tls.caCertPem, certPem: b.tls.certPem, keyPem: b.tls.keyPem },
    });
    const peer = new DevicePeer(b, transport);
    expect((await peer.request(0x000001, Uint8Array.of(2))).status).toBe(POR.TAR_UNKNOWN);
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
    // Exactly one thing arrived from tls-b: its own request (refused as TAR unknown).
    const fromB = logs.filter((l) => l.includes('"deviceId":"tls-b"') && l.includes('"event":"link.'));
    expect(fromB).toHaveLength(1);
    expect(fromB[0]).toContain('link.command.refused');
    await transport.close();
    await spy.endAsync();
  });
});
