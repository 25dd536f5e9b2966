/**
 * Run by broker-burst.test.ts in a child process with a small stack: the embedded broker, one
 * device subscribed to its down topic, and one platform connection that sends, in one write,
 * argv[2] frames to that device and then argv[3] frames to a device that is not connected (no
 * subscriber). The broker reads them in large chunks, so many arrive while the device's are still
 * being delivered. Prints {"delivered": n} once the device has all of its frames.
 */
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { openMqtt } from '../../net/mqtt/client';
import { downTopic } from '../../net/mqtt/topics';
import { startEmbeddedBroker } from '../../platform-server/src/mqtt/broker';

const toDevice = Number(process.argv[2]);
const toNobody = Number(process.argv[3]);
const FRAME = Buffer.alloc(1);

function publish(deviceId: string): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic: downTopic(deviceId), payload: FRAME, qos: 0, retain: false, dup: false });
}

async function main(): Promise<void> {
  const broker = await startEmbeddedBroker({ port: 0, checkPassword: (u) => (u === 'platform' ? { role: 'platform', id: 'platform' } : { role: 'device', id: u }) });
  const device = openMqtt({ url: broker.url, clientId: 'dev-1', username: 'dev-1', password: 'x' });
  await device.connected;
  await device.client.subscribeAsync(downTopic('dev-1'), { qos: 1 });
  let delivered = 0;
  device.client.on('message', () => delivered++);

  const platform = net.connect(broker.port as number, broker.host);
  await new Promise((resolve) => platform.once('connect', resolve));
  platform.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'platform', keepalive: 60, username: 'platform', password: Buffer.from('x') }));
  await new Promise((resolve) => platform.once('data', resolve)); // CONNACK
  const frames: Buffer[] = [];
  for (let i = 0; i < toDevice; i++) frames.push(publish('dev-1'));
  for (let i = 0; i < toNobody; i++) frames.push(publish('dev-offline'));
  platform.write(Buffer.concat(frames));
  while (delivered < toDevice) await new Promise((resolve) => setTimeout(resolve, 50));
  console.log(JSON.stringify({ delivered }));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
