/**
 * A link transport closes in bounded time when a QoS 1 frame it sent has no PUBACK: here the
 * broker went away after the send. mqtt.js's graceful end would wait for that PUBACK forever, so a
 * terminal or platform shutting down while its broker is gone never returned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_GRACE_MS } from '../../net/mqtt/client';
import { MqttDeviceTransport } from '../../net/mqtt/mqtt-transport';
import { platformPasswordCheck } from '../../platform-server/src/broker-credentials';
import { startEmbeddedBroker } from '../../platform-server/src/mqtt/broker';
import { provisionDevice } from '../../platform-server/src/provision';
import { tempPlatform, type TempPlatform } from './_fixtures';

let t: TempPlatform;
beforeAll(async () => {
  t = await tempPlatform();
});
afterAll(() => t.cleanup());

describe('link transport close', () => {
  it('returns within its grace period when a sent frame is never acknowledged', async () => {
    const device = (await provisionDevice(t.platform, { deviceId: 'dev-gone' })).bundle;
    const broker = await startEmbeddedBroker({ port: 0, checkPassword: platformPasswordCheck(t.platform), log: () => {} });
    const transport = await MqttDeviceTransport.connect('dev-gone', { url: broker.url, clientId: 'dev-gone', username: 'dev-gone', password: device.broker.password });
    await broker.close();
    const sent = transport.send(Uint8Array.of(1, 2, 3)).catch((err: Error) => err);

    const started = Date.now();
    const closed = await Promise.race([transport.close().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_GRACE_MS + 5_000))]);
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CLOSE_GRACE_MS - 50);
    // The frame was never delivered: its send fails rather than hanging with the closed client.
    expect(await Promise.race([sent, new Promise((r) => setTimeout(() => r('pending'), 1_000))])).toBeInstanceOf(Error);
  });
});
