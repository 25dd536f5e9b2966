/**
 * The embedded broker's own publish (broker.ts publish), which the platform's frames take when the
 * platform runs beside its broker (server.ts inProcessEndpoint): a QoS 1 frame reaches a connected
 * device, and one published while the device is away waits in its persistent session and arrives
 * when it comes back, as a PUBLISH from the platform's client did; frames arrive in the order published.
 * And its own subscription (broker.ts subscribe), through which the platform beside it receives the
 * devices' up frames: a device's QoS 1 PUBLISHes arrive in order, and nothing once unsubscribed.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
