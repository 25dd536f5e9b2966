/**
 * The embedded broker closes while devices are connected: a platform shutting down must not wait
 * for every device to hang up. Its connected clients and a connection that has not sent CONNECT
 * yet are all ended, and the listener is gone.
 */
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformPasswordCheck } from '../../platform-server/src/broker-credentials';
import { startEmbeddedBroker } from '../../platform-server/src/mqtt/broker';
import { provisionDevice } from '../../platform-server/src/provision';
import { tempPlatform, type TempPlatform } from './_fixtures';

let t: TempPlatform;
beforeAll(async () => {
  t = await tempPlatform();
});
afterAll(() => t.cleanup());

function closedWithin(ms: number, p: Promise<void>): Promise<boolean> {
  return Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

describe('embedded broker close', () => {
  it('ends connected devices and a connection before its CONNECT, then stops listening', async () => {
    const device = (await provisionDevice(t.platform, { deviceId: 'dev-close' })).bundle;
    // A long CONNECT timeout: the silent connection is still open when close() runs.
    const broker = await startEmbeddedBroker({ port: 0, checkPassword: platformPasswordCheck(t.platform), connectTimeoutMs: 60_000, log: () => {} });
    const client = await mqtt.connectAsync(broker.url, { clientId: 'dev-close', username: 'dev-close', password: device.broker.password, reconnectPeriod: 0 });
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const silent = net.connect(broker.port as number, broker.host);
    silent.on('error', () => {});
    await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
    const silentClosed = new Promise<void>((resolve) => silent.once('close', () => resolve()));

    expect(await closedWithin(5_000, broker.close())).toBe(true);
    expect(await closedWithin(5_000, clientClosed)).toBe(true);
    expect(await closedWithin(5_000, silentClosed)).toBe(true);
    const refused = net.connect(broker.port as number, broker.host);
    await expect(new Promise((resolve, reject) => refused.once('connect', resolve).once('error', reject))).rejects.toThrow(/ECONNREFUSED/);
    await client.endAsync(true);
  });
});
