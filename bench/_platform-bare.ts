/**
 * The bare broker carrying the same messages as a platform run: a fresh embedded aedes broker
 * (startEmbeddedBroker, same ACL and payload limit), one MQTT client per device and one platform
 * client, on the same transports as the link (QoS 1, persistent sessions: mqtt-transport.ts; the
 * platform joined in process and publishing through the broker, as `platform start` does), and
 * for every device the same number and sizes of frames up and down as its terminal exchanged.
 * No link security, no flows, no SE: each device publishes its up frames one after another (each
 * awaiting its PUBACK), the platform publishes each device's down frames the same way, all devices
 * at once; the time runs from the first publish to the last frame received.
 */
import { MqttDeviceTransport, MqttPlatformTransport } from '../net/mqtt/mqtt-transport';
import { PLATFORM_PRINCIPAL } from '../platform-server/src/platform-home';
import { inProcessEndpoint } from '../platform-server/src/server';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { BenchCredentials, startBenchBroker } from './_platform-fleet';
import type { FrameLog } from './_platform-frames';
import { msSince } from './_report';

export interface BareFigure {
  messages: number;
  octets: number;
  ms: number;
  messagesPerS: number;
}

/** Clients connect this many at a time (aedes and the 2-core machine keep up without CONNACK timeouts). */
const CONNECT_BATCH = 50;

/**
 * One MQTT client per device at `url` (bench broker credentials: its id and password), CONNECT_BATCH
 * at a time, each frame it receives counted by onFrame; each is added to `clients` as soon as it
 * is up, so the caller closes them all even if a later one fails. Returns them in the devices' order.
 */
export async function connectDevices(url: string, devices: { bundle: ProvisioningBundle }[], onFrame: () => void, clients: { close(): Promise<void> }[]): Promise<MqttDeviceTransport[]> {
  const out: MqttDeviceTransport[] = [];
  for (let i = 0; i < devices.length; i += CONNECT_BATCH) {
    const batch = devices.slice(i, i + CONNECT_BATCH);
    const connected = await Promise.all(batch.map((d) => MqttDeviceTransport.connect(d.bundle.deviceId, { url, clientId: d.bundle.deviceId, username: d.bundle.deviceId, password: d.bundle.broker.password })));
    for (const t of connected) {
      t.onFrame(onFrame);
      out.push(t);
      clients.push(t);
    }
  }
  return out;
}

export async function replayOnBareBroker(devices: { bundle: ProvisioningBundle; frames: FrameLog }[]): Promise<BareFigure> {
  const creds = new BenchCredentials();
  for (const d of devices) creds.add(d.bundle.deviceId, d.bundle.broker.password, { role: 'device', id: d.bundle.deviceId });
  const broker = await startBenchBroker(creds);
  const clients: { close(): Promise<void> }[] = [];
  try {
    const platform = await MqttPlatformTransport.connect(inProcessEndpoint(broker, `${PLATFORM_PRINCIPAL}.bare`));
    clients.push(platform);
    let expected = 0;
    let octets = 0;
    for (const d of devices) {
      expected += d.frames.up.length + d.frames.down.length;
      for (const n of d.frames.up) octets += n;
      for (const n of d.frames.down) octets += n;
    }
    let received = 0;
    let allReceived: () => void = () => {};
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    const count = (): void => {
      if (++received === expected) allReceived();
    };
    platform.onFrame(count);
    const transports = await connectDevices(broker.url, devices, count, clients);
    const start = process.hrtime.bigint();
    const sends: Promise<void>[] = [];
    devices.forEach((d, i) => {
      sends.push(
        (async () => {
          for (const n of d.frames.up) await transports[i].send(new Uint8Array(n));
        })(),
        (async () => {
          for (const n of d.frames.down) await platform.send(d.bundle.deviceId, new Uint8Array(n));
        })(),
      );
    });
    if (expected > 0) await Promise.all([...sends, done]);
    const ms = msSince(start);
    return { messages: expected, octets, ms, messagesPerS: expected / (ms / 1000) };
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await broker.close();
  }
}
