/**
 * Connects an MQTT client (the `mqtt` package) the way the link needs it: a fixed client id and a
 * persistent session (clean: false), so QoS 1 frames published while a side is offline are
 * delivered when it comes back (ARCHITECTURE.md "Wire contracts"). mqtts:// URLs use the given CA
 * and client certificate; the server certificate is always verified.
 */
import type { Duplex, Writable } from 'node:stream';
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';
import { coalesceWrites } from './coalesce-writes';

export interface MqttEndpoint {
  /** mqtt://host:port or mqtts://host:port; user:password@ in the URL is honoured. For logs only with `inProcess`. */
  url: string;
  /** A fresh in-process connection to an embedded broker, used instead of `url` (broker.ts connectInProcess). */
  inProcess?: () => Duplex;
  /**
   * With inProcess: the embedded broker's own QoS 1 publish (broker.ts publish), used for what this
   * client sends instead of a PUBLISH over the in-process connection (mqtt-transport.ts).
   */
  publishInProcess?: (topic: string, payload: Buffer) => Promise<void>;
  /**
   * With inProcess: the embedded broker's own subscription (broker.ts subscribe), through which the
   * platform receives what matches filter instead of a subscription of this client (mqtt-transport.ts).
   * Resolves to its unsubscribe.
   */
  subscribeInProcess?: (filter: string, deliver: (topic: string, payload: Buffer) => void) => Promise<() => Promise<void>>;
  clientId: string;
  username?: string;
  password?: string;
  tls?: { caPem: string; certPem: string; keyPem: string };
  /** Milliseconds between reconnection attempts; 0 = do not reconnect. */
  reconnectPeriodMs?: number;
  /** A clean session (nothing kept while offline) instead of the persistent default. */
  cleanSession?: boolean;
  /** MQTT keep-alive in seconds (MQTT 3.1.1 §3.1.2.10; default 60); 0 = none, for a connection that cannot die apart from its process. */
  keepaliveS?: number;
}

export class MqttConnectError extends Error {
  readonly code = 'MQTT_CONNECT';
}

/**
 * Creates the client at once (so the caller can attach 'message' before queued messages arrive)
 * and a promise for the first CONNACK. The promise rejects on a refused connection or a timeout.
 */
export function openMqtt(ep: MqttEndpoint, connectTimeoutMs = 10_000): { client: MqttClient; connected: Promise<void> } {
  const secure = ep.url.startsWith('mqtts:');
  if (secure && ep.tls === undefined) throw new MqttConnectError(`${ep.url}: mqtts needs a CA and a client certificate`);
  const options: IClientOptions = {
    clientId: ep.clientId,
    clean: ep.cleanSession === true,
    protocolVersion: 4,
    username: ep.username,
    password: ep.password,
    reconnectPeriod: ep.reconnectPeriodMs ?? 1000,
    keepalive: ep.keepaliveS ?? 60,
    connectTimeout: connectTimeoutMs,
    ...(secure && ep.tls !== undefined ? { ca: ep.tls.caPem, cert: ep.tls.certPem, key: ep.tls.keyPem, rejectUnauthorized: true } : {}),
    // mqtt.js traces every packet through the `debug` package when no log is given, which builds an
    // argument array per call even with tracing off (about 10 % of the link's allocations). The
    // link logs what it needs itself; DEBUG=mqttjs* still traces through debug.
    ...(mqttTraceWanted() ? {} : { log: noTrace }),
  };
  const inProcess = ep.inProcess;
  const client = inProcess !== undefined ? new MqttClient(() => inProcess(), options) : mqtt.connect(ep.url, options);
  // Small frames, each waiting for its PUBACK: turn Nagle off on every (re)connected socket, and
  // let it send what one turn wrote in one write: the PUBACKs for the frames of one read together
  // (coalesce-writes.ts). The in-process stream makes no syscall.
  const coalesced = new WeakSet<object>();
  client.on('connect', () => {
    const stream = client.stream as unknown as Writable & { setNoDelay?: (on: boolean) => void };
    stream.setNoDelay?.(true);
    if (inProcess === undefined && !coalesced.has(stream)) {
      coalesced.add(stream);
      coalesceWrites(stream);
    }
  });
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new MqttConnectError(`${ep.url}: no CONNACK within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => fail(new MqttConnectError(`${ep.url}: ${err.message}`));
    function fail(err: Error): void {
      cleanup();
      client.end(true);
      reject(err);
    }
    function cleanup(): void {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
    }
    client.on('connect', onConnect);
    client.on('error', onError);
  });
  return { client, connected };
}

function noTrace(): void {}

/** Whether DEBUG names mqtt.js's traces (the `debug` package's patterns, as mqtt.js reads them). */
function mqttTraceWanted(): boolean {
  const wanted = process.env.DEBUG;
  return wanted !== undefined && /(^|[\s,])(mqttjs|\*)/.test(wanted);
}

/** How long a graceful close waits for PUBACKs of QoS 1 frames still in flight. */
export const CLOSE_GRACE_MS = 2_000;

/**
 * Ends the client, giving QoS 1 publishes in flight up to graceMs for their PUBACK; then ends it
 * by force, failing the sends still waiting. mqtt.js's own graceful end waits for them without
 * limit, so a close with the broker gone (a frame sent into the reconnect gap) never returned. A
 * frame dropped this way is one the link's resend rules already cover: its sender has no PoR.
 */
export async function endMqtt(client: MqttClient, graceMs = CLOSE_GRACE_MS): Promise<void> {
  if (Object.keys(client.outgoing).length > 0) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        client.off('outgoingEmpty', done);
        resolve();
      };
      const timer = setTimeout(done, graceMs);
      client.once('outgoingEmpty', done);
    });
  }
  const unacknowledged = Object.keys(client.outgoing).map(Number);
  // Their senders learn it now ("Message removed") instead of waiting on a closed client.
  for (const id of unacknowledged) client.removeOutgoingMessage(id);
  await client.endAsync(unacknowledged.length > 0);
}
