/**
 * The embedded broker's own publish (broker.ts publish), which the platform's frames take when the
 * platform runs beside its broker (server.ts inProcessEndpoint): a QoS 1 frame reaches a connected
 * device, and one published while the device is away waits in its persistent session and arrives
 * when it comes back, as a PUBLISH from the platform's client did; frames arrive in the order published.
 * And its own subscription (broker.ts subscribe), through which the platform beside it receives the
 * devices' up frames: a device's QoS 1 PUBLISHes arrive in order, and nothing once unsubscribed.
 * And the device sockets' writes (net/mqtt/coalesce-writes.ts): the 8 frames of a secured packet,
 * published together, leave in one write of the broker and arrive in order at QoS 1, the device's
 * PUBACKs for them in fewer writes than frames (the session redelivers nothing), and the device's
 * 8 up frames arrive in order, each acknowledged (a QoS 1 publish resolves on its PUBACK).
 */
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MqttDeviceTransport, MqttPlatformTransport } from '../../net/mqtt/mqtt-transport';
import { PLATFORM_PRINCIPAL } from '../../platform-server/src/platform-home';
import { inProcessEndpoint } from '../../platform-server/src/server';
import { platformPasswordCheck } from '../../platform-server/src/broker-credentials';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../platform-server/src/mqtt/broker';
import { provisionDevice } from '../../platform-server/src/provision';
import { PLATFORM_UP_FILTER, downTopic, upTopic } from '../../net/mqtt/topics';
import { tempPlatform, type TempPlatform } from './_fixtures';

let t: TempPlatform;
let broker: EmbeddedBroker;
beforeAll(async () => {
  t = await tempPlatform();
  broker = await startEmbeddedBroker({ port: 0, checkPassword: platformPasswordCheck(t.platform), log: () => {} });
});
afterAll(async () => {
  await broker.close();
  t.cleanup();
});

async function connectDevice(deviceId: string, password: string): Promise<{ client: mqtt.MqttClient; got: { payload: string; qos: number }[] }> {
  const got: { payload: string; qos: number }[] = [];
  const client = mqtt.connect(broker.url, { clientId: deviceId, username: deviceId, password, clean: false, reconnectPeriod: 0 });
  client.on('message', (_topic, payload, packet) => got.push({ payload: payload.toString('hex'), qos: packet.qos }));
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  return { client, got };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('embedded broker publish', () => {
  it('delivers to a connected device at QoS 1, in order, and keeps frames for one away', async () => {
    const device = (await provisionDevice(t.platform, { deviceId: 'dev-publish' })).bundle;
    let d = await connectDevice('dev-publish', device.broker.password);
    await d.client.subscribeAsync(downTopic('dev-publish'), { qos: 1 });
    for (let i = 1; i <= 3; i++) await broker.publish(downTopic('dev-publish'), Buffer.from([i]));
    await until(() => d.got.length === 3);
    expect(d.got).toEqual([1, 2, 3].map((i) => ({ payload: `0${i}`, qos: 1 })));

    await d.client.endAsync();
    await broker.publish(downTopic('dev-publish'), Buffer.from([4]));
    d = await connectDevice('dev-publish', device.broker.password);
    await until(() => d.got.length === 1);
    expect(d.got).toEqual([{ payload: '04', qos: 1 }]);
    await d.client.endAsync();
  });

  it("hands a device's up frames to the broker's own subscription, in order, until it unsubscribes", async () => {
    const device = (await provisionDevice(t.platform, { deviceId: 'dev-up' })).bundle;
    const got: { topic: string; payload: string }[] = [];
    const unsubscribe = await broker.subscribe(PLATFORM_UP_FILTER, (topic, payload) => got.push({ topic, payload: payload.toString('hex') }));
    const d = await connectDevice('dev-up', device.broker.password);
    for (let i = 1; i <= 3; i++) await d.client.publishAsync(upTopic('dev-up'), Buffer.from([i]), { qos: 1 });
    await until(() => got.length === 3);
    expect(got).toEqual([1, 2, 3].map((i) => ({ topic: upTopic('dev-up'), payload: `0${i}` })));

    await unsubscribe();
    await d.client.publishAsync(upTopic('dev-up'), Buffer.from([4]), { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got).toHaveLength(3);
    await d.client.endAsync();
  });

  it("delivers a packet's 8 frames in one broker write, in order at QoS 1, and the device's 8 up frames in order, each acknowledged", async () => {
    const device = (await provisionDevice(t.platform, { deviceId: 'dev-burst' })).bundle;
    const ep = { url: broker.url, clientId: 'dev-burst', username: 'dev-burst', password: device.broker.password };
    const dev = await MqttDeviceTransport.connect('dev-burst', ep);
    const platform = await MqttPlatformTransport.connect(inProcessEndpoint(broker, `${PLATFORM_PRINCIPAL}.burst`));
    const down: number[] = [];
    const up: number[] = [];
    let downAll: () => void = () => {};
    let upAll: () => void = () => {};
    const downDone = new Promise<void>((resolve) => (downAll = resolve));
    const upDone = new Promise<void>((resolve) => (upAll = resolve));
    dev.onFrame((f) => down.push(f[0]) === 8 && downAll());
    platform.onFrame((_id, f) => up.push(f[0]) === 8 && upAll());
    // Every socket write in this process, by side: accepted sockets are the broker's.
    const writes = { broker: 0, client: 0 };
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
    const count = (name: '_write' | '_writev') => {
      const original = proto[name];
      return vi.spyOn(proto, name).mockImplementation(function (this: net.Socket & { server?: unknown }, ...a: unknown[]) {
        writes[this.server === undefined || this.server === null ? 'client' : 'broker']++;
        return original.apply(this, a);
      });
    };
    const spies = [count('_write'), count('_writev')];
    try {
      const frames = Array.from({ length: 8 }, (_, i) => Uint8Array.of(i + 1, ...new Uint8Array(139)));
      await Promise.all(frames.map((f) => platform.send('dev-burst', f)));
      await downDone;
      expect(down).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // aedes delivers each frame from its own immediate: one write for all 8 (the PUBACKs of
      // the device may share a write with nothing else, so only the broker's side is exact).
      expect(writes.broker).toBe(1);
      // The device's 8 PUBACKs: the frames came in one write, so (on loopback) in one read.
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(writes.client).toBeLessThan(8);

      // QoS 1: each publishAsync resolves only on its PUBACK from the broker.
      await Promise.all(frames.map((f) => dev.send(f)));
      await upDone;
      expect(up).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    // The broker holds nothing for the device (its 8 PUBACKs arrived): the persistent session
    // redelivers nothing when it comes back.
    await dev.close();
    const again = await MqttDeviceTransport.connect('dev-burst', ep);
    const redelivered: number[] = [];
    again.onFrame((f) => redelivered.push(f[0]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(redelivered).toEqual([]);
    await again.close();
    await platform.close();
  });
});
