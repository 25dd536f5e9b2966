/**
 * A mosquitto broker for interop suites: the one .ci/run started (TAPCARD_MOSQUITTO_URL), or a
 * private `mosquitto -p PORT` spawned here and stopped with stop(). Ready when a client connects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { MqttDeviceTransport } from '../../net/mqtt/mqtt-transport';
import { requireDebian } from './skip';

export interface MosquittoBroker {
  url: string;
  stop(): Promise<void>;
}

/** For describe.skipIf: false when a broker URL is given, else the Debian package check. */
export function mosquittoMissing(suite: string): boolean {
  const env = process.env.TAPCARD_MOSQUITTO_URL;
  return env === undefined || env === '' ? requireDebian(suite, ['mosquitto']) : false;
}

/** A TCP port free on the loopback interface just now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function useMosquitto(probeId: string): Promise<MosquittoBroker> {
  const env = process.env.TAPCARD_MOSQUITTO_URL;
  if (env !== undefined && env !== '') return { url: env, stop: async () => {} };
  const port = await freePort();
  const child: ChildProcess = spawn('mosquitto', ['-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `mqtt://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; ; i++) {
    try {
      const probe = await MqttDeviceTransport.connect(probeId, { url, clientId: '', reconnectPeriodMs: 0 });
      await probe.close();
      return { url, stop };
    } catch (err) {
      if (i > 100) {
        await stop();
        throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
