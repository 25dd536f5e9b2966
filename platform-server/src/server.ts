/**
 * `tapcard platform start`: the platform in one process. By default it runs the
 * embedded broker (plain listener, and a TLS listener with client certificates when mqttsPort is
 * given) and connects to it as the platform principal; with `broker` it joins an external broker
 * instead (mqtts:// with the platform's client certificate). On top: the platform link
 * (link/platform-link.ts) and the HTTP API.
 *
 * The link starts with no routes: every device request is answered TAR unknown until the data
 * processing unit registers its handlers with `link.route(tar, handler)`.
 */
import { SMS_USER_DATA_MAX } from '../../firmware/src/core/link/udh';
import { platformPasswordCheck } from './broker-credentials';
import { getDevice, touchDevice } from './db/devices';
import { OWNER_PLATFORM } from './db/key-store';
import { META, requireMeta } from './db/meta';
import { startHttp, type HttpRoutes } from './http/server';
import { framesAfterCommit } from './link/frames-after-commit';
import { countersFromDb, linkKeysFromStore } from './link/link-sources';
import { PlatformLink } from './link/platform-link';
import type { Log } from './log';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/broker';
import type { MqttEndpoint } from '../../net/mqtt/client';
import type { LinkTransport } from '../../net/mqtt/link-transport';
import { MqttPlatformTransport } from '../../net/mqtt/mqtt-transport';
import { LeasedTransport } from './mqtt/leased-transport';
import { PLATFORM_KEYS, PLATFORM_PRINCIPAL, type Platform } from './platform-home';
import type { DeviceLeases } from './workers/device-leases';

export interface StartOptions {
  /**
   * Embedded broker plain (user name + password) port; 0 = a free port; null = no plain listener,
   * devices connect over TLS only. Ignored with `broker`.
   */
  mqttPort: number | null;
  /**
   * Embedded broker: connections from one address allowed at once before their CONNECT is accepted
   * (default 8; broker.ts). A simulated fleet on one host raises it.
   */
  maxPendingPerAddress?: number;
  /** Embedded broker TLS port (client certificates required); undefined = no TLS listener. */
  mqttsPort?: number;
  /** HTTP API port; 0 = a free port. */
  httpPort: number;
  /** Interface for the embedded broker and the HTTP API. */
  host?: string;
  /** External broker URL (mqtt:// or mqtts://) instead of the embedded one. */
  broker?: string;
  /**
   * An embedded broker already running in this process, started (and closed) by the caller, joined
   * in process as the platform's own would be: no listener, no socket. For a broker with its own
   * admission (the platform bench's); mqttPort, mqttsPort and maxPendingPerAddress are then ignored.
   */
  embeddedBroker?: EmbeddedBroker;
  /** Distinguishes platform workers sharing one broker (MQTT client id platform.<workerId>). */
  workerId?: string;
  /** Shared-subscription group of the platform workers (default 'platform'). */
  shareGroup?: string;
  frameSize?: number;
  /**
   * One of several workers (needs `broker`): frames of a device go to the worker holding its lease
   * (mqtt/leased-transport.ts); workerId is then the leases' worker id.
   */
  leases?: DeviceLeases;
  /** Routes mounted on the HTTP API beside the status ones (the terminal API). */
  httpRoutes?: HttpRoutes[];
  log: Log;
}

export interface RunningPlatform {
  /** url: where devices connect (the plain listener, or the TLS one when plain is off). */
  mqtt: { url: string; tlsUrl: string | null; embedded: boolean };
  httpUrl: string;
  link: PlatformLink;
  close(): Promise<void>;
}

/** Minimum time between two last_seen_at updates of one device. */
const SEEN_WRITE_INTERVAL_MS = 60_000;

export async function startPlatform(p: Platform, opts: StartOptions): Promise<RunningPlatform> {
  const log = opts.log;
  const frameSize = opts.frameSize ?? SMS_USER_DATA_MAX;
  const host = opts.host ?? '127.0.0.1';
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((err: Error) => log('platform.close.error', { error: err.message }));
    closers.length = 0;
  };
  try {
    let broker: EmbeddedBroker | null = null;
    let endpoint: MqttEndpoint;
    const clientId = `${PLATFORM_PRINCIPAL}.${opts.workerId ?? 'main'}`;
    if (opts.embeddedBroker !== undefined) {
      broker = opts.embeddedBroker;
      endpoint = inProcessEndpoint(broker, clientId);
    } else if (opts.broker === undefined) {
      broker = await startEmbeddedBroker({
        host,
        port: opts.mqttPort,
        tls:
          opts.mqttsPort === undefined
            ? undefined
            : {
                port: opts.mqttsPort,
                keyPem: p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_SERVER_KEY).toString('utf8'),
                certPem: requireMeta(p.db, META.BROKER_SERVER_CERT),
                caPem: p.caCertPem(),
              },
        checkPassword: platformPasswordCheck(p),
        admit: (who) => who.role === 'platform' || getDevice(p.db, who.id)?.status === 'active',
        maxPayload: frameSize,
        maxPendingPerAddress: opts.maxPendingPerAddress,
        log: (event, detail) => log(`broker.${event}`, detail),
      });
      const embedded: EmbeddedBroker = broker;
      closers.push(() => embedded.close());
      log('broker.started', { url: broker.url, tlsUrl: broker.tlsUrl });
      endpoint = inProcessEndpoint(embedded, clientId);
    } else {
      endpoint = { url: opts.broker, clientId };
      if (opts.broker.startsWith('mqtts:')) {
        endpoint.tls = {
          caPem: p.caCertPem(),
          certPem: requireMeta(p.db, META.PLATFORM_CLIENT_CERT),
          keyPem: p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.PLATFORM_CLIENT_KEY).toString('utf8'),
        };
      }
    }

    if (opts.leases !== undefined && broker !== null) throw new Error('platform workers share an external broker: give its URL');
    const transportOptions = { frameSize, shareGroup: opts.shareGroup, log: (e: string, d: Record<string, unknown>) => log(`mqtt.${e}`, d) };
    const mqttTransport =
      opts.leases === undefined ? await MqttPlatformTransport.connect(endpoint, transportOptions) : await LeasedTransport.connect(endpoint, opts.leases, transportOptions);
    closers.push(() => mqttTransport.close());
    log('platform.connected', { broker: redactUrl(endpoint.url), clientId });

    // Commits are grouped per event-loop turn from here on; frames and HTTP answers wait for them.
    p.db.groupCommits();
    const link = new PlatformLink({
      transport: recordingLastSeen(framesAfterCommit(mqttTransport, p.db), p),
      keys: linkKeysFromStore(p),
      counters: countersFromDb(p, opts.leases === undefined ? null : (deviceId) => opts.leases?.fence(deviceId)),
      log,
      frameSize,
    });
    closers.push(() => link.close());

    const mqtt = broker === null ? { url: redactUrl(opts.broker as string), tlsUrl: null, embedded: false } : { url: broker.url, tlsUrl: broker.tlsUrl, embedded: true };
    const http = await startHttp(p.db, { mqtt }, opts.httpPort, host, opts.httpRoutes);
    closers.push(() => http.close());
    log('http.started', { url: http.url });

    return { mqtt, httpUrl: http.url, link, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * The platform's own client needs no listener: it connects inside this process, and its frames go
 * out through the broker's own publish (broker.ts), not as PUBLISHes over that connection.
 */
export function inProcessEndpoint(broker: EmbeddedBroker, clientId: string): MqttEndpoint {
  // No keep-alive: the connection is a stream pair in this process, which no network can break
  // apart from it, and mqtt.js moved its ping timer at every packet (1.4 % of the platform's busy
  // samples at 1,000 terminals).
  return {
    url: 'in-process',
    clientId,
    keepaliveS: 0,
    inProcess: () => broker.connectInProcess({ role: 'platform', id: PLATFORM_PRINCIPAL }),
    publishInProcess: (topic, payload) => broker.publish(topic, payload),
    subscribeInProcess: (filter, deliver) => broker.subscribe(filter, deliver),
  };
}

/** Passes frames through and notes when each device was last heard from. */
function recordingLastSeen(inner: LinkTransport, p: Platform): LinkTransport {
  const lastWrite = new Map<string, number>();
  return {
    send: (deviceId, frame) => inner.send(deviceId, frame),
    close: () => inner.close(),
    onFrame(handler) {
      inner.onFrame((deviceId, frame) => {
        const now = Date.now();
        if ((lastWrite.get(deviceId) ?? 0) + SEEN_WRITE_INTERVAL_MS <= now) {
          lastWrite.set(deviceId, now);
          touchDevice(p.db, deviceId);
        }
        handler(deviceId, frame);
      });
    },
  };
}

/** A broker URL without its password, for logs and status. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
