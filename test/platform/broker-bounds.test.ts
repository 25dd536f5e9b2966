/**
 * What a hostile or broken client can cost the embedded broker: a CONNECT that announces 256 MB is
 * cut off at its header, so is a packet other than CONNECT first and an oversized packet after it;
 * one address cannot hold more than a few half-open connections; a connection that never sends
 * CONNECT is closed; password checks are bounded and refused as "server unavailable" beyond the
 * queue; and through all of it a device with real credentials still connects and publishes. With the
 * plain listener off the platform still runs (its own client connects in process) and devices use TLS.
 */
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE } from '../../firmware/src/core/link/response-packet';
import { POR } from '../../firmware/src/core/link/por-status';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../platform-server/src/mqtt/broker';
import { platformPasswordCheck } from '../../platform-server/src/broker-credentials';
import { MqttDeviceTransport } from '../../net/mqtt/mqtt-transport';
import { hashSecret, verifySecret, verifySecretAsync } from '../../platform-server/src/pki/secrets';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { provisionDevice } from '../../platform-server/src/provision';
import { startPlatform } from '../../platform-server/src/server';
import { DevicePeer } from './_device-peer';
import { tempPlatform, type TempPlatform } from './_fixtures';

let t: TempPlatform;
let broker: EmbeddedBroker;
let device: ProvisioningBundle;
const events: { event: string; detail: Record<string, unknown> }[] = [];

beforeAll(async () => {
  t = await tempPlatform();
  device = (await provisionDevice(t.platform, { deviceId: 'dev-ok' })).bundle;
  broker = await startEmbeddedBroker({
    port: 0,
    checkPassword: platformPasswordCheck(t.platform),
    connectTimeoutMs: 400,
    maxPendingPerAddress: 4,
    passwordChecks: { concurrent: 1, queued: 2 },
    log: (event, detail) => events.push({ event, detail }),
  });
});

afterAll(async () => {
  await broker.close();
  t.cleanup();
});

/** A raw TCP connection to the plain listener and a promise for its close. */
async function rawSocket(): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(broker.port as number, broker.host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

/** Fixed header of a packet of `type` announcing `length` remaining octets (MQTT 3.1.1 §2.2.3). */
function fixedHeader(type: number, length: number): Buffer {
  const out = [type << 4];
  do {
    let b = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) b |= 0x80;
    out.push(b);
  } while (length > 0);
  return Buffer.from(out);
}

async function deviceStillWorks(): Promise<void> {
  const c = await mqtt.connectAsync(broker.url, { clientId: 'dev-ok', username: 'dev-ok', password: device.broker.password, reconnectPeriod: 0, clean: true });
  await c.publishAsync('tapcard/v1/dev-ok/up', Buffer.alloc(140, 1), { qos: 1 });
  await c.endAsync();
}

describe('embedded broker bounds', () => {
  it('closes connections whose CONNECT announces 256 MB after the header, and serves a real device meanwhile', async () => {
    const floods = await Promise.all([0, 1, 2, 3].map(() => rawSocket()));
    for (const f of floods) {
      f.socket.write(fixedHeader(1, 256 * 1024 * 1024 - 1));
      f.socket.write(Buffer.alloc(4096, 0x41));
    }
    await Promise.all(floods.map((f) => f.closed));
    await deviceStillWorks();
    expect(events.filter((e) => e.event === 'connection.closed' && String(e.detail.reason).includes('limit 1024'))).toHaveLength(4);
  });

  it('closes a connection that starts with anything but CONNECT, or sends an oversized packet after it', async () => {
    const early = await rawSocket();
    early.socket.write(fixedHeader(3, 10));
    await early.closed;

    const c = await mqtt.connectAsync(broker.url, { clientId: 'dev-ok', username: 'dev-ok', password: device.broker.password, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => c.stream.once('close', () => resolve()));
    c.stream.write(fixedHeader(3, 100_000));
    await closed;
    c.end(true);
    expect(events.some((e) => e.event === 'connection.closed' && String(e.detail.reason).includes('limit 652'))).toBe(true);
  });

  it('admits at most 4 connections from one address before their CONNECT, and closes one that never sends it', async () => {
    const idle = await Promise.all([0, 1, 2, 3].map(() => rawSocket()));
    const fifth = await rawSocket();
    await fifth.closed; // refused at once: the four above are still pending
    expect(events.some((e) => e.event === 'connection.refused')).toBe(true);
    await Promise.all(idle.map((s) => s.closed)); // aedes' connect timeout (400 ms here)
    await deviceStillWorks(); // the address is free again
  });

  it('refuses CONNECTs beyond the password-check queue as server unavailable (code 3), then recovers', async () => {
    const tries = Array.from({ length: 8 }, () =>
      mqtt.connectAsync(broker.url, { clientId: 'dev-ok', username: 'dev-ok', password: 'wrong', reconnectPeriod: 0 }).then(
        () => 'connected',
        (err: Error & { code?: number }) => String(err.code ?? err.message),
      ),
    );
    const outcomes = await Promise.all(tries);
    expect(outcomes).toContain('3');
    expect(outcomes).toContain('4');
    expect(outcomes).not.toContain('connected');
    await deviceStillWorks();
  });

  it('checks passwords on the thread pool with the same answers as the synchronous check', async () => {
    const stored = hashSecret('s3cret');
    for (const guess of ['s3cret', 'S3cret', '']) expect(await verifySecretAsync(guess, stored)).toBe(verifySecret(guess, stored));
    expect(await verifySecretAsync('s3cret', 'scrypt$bad')).toBe(false);
  });
});

describe('plain listener off', () => {
  it('runs the platform with devices on TLS only; the platform connects in process', async () => {
    const running = await startPlatform(t.platform, { mqttPort: null, mqttsPort: 0, httpPort: 0, log: () => {} });
    try {
      expect(running.mqtt.url).toMatch(/^mqtts:\/\//);
      expect(running.mqtt.url).toBe(running.mqtt.tlsUrl);
      const transport = await MqttDeviceTransport.connect(device.deviceId, {
        url: running.mqtt.url,
        clientId: device.deviceId,
        tls: { caPem: device.tls.caCertPem, certPem: device.tls.certPem, keyPem: device.tls.keyPem },
      });
      const peer = new DevicePeer(device, transport);
      expect(await peer.request(0x000001, Uint8Array.of(0x80, 0xf2))).toEqual({ code: RESPONSE.CLEAR, status: POR.TAR_UNKNOWN, data: '' });
      await transport.close();
    } finally {
      await running.close();
    }
  });
});
