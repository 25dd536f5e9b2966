/**
 * The embedded MQTT broker (aedes 1.2): a plain listener and, optionally, a TLS listener that
 * requires client certificates from the platform CA. Policy is injected, shaped like aedes' own
 * hooks (STYLE.md §4): CONNECT decides an identity (identity.ts), PUBLISH and SUBSCRIBE go through
 * the ACL (acl.ts), and a payload over the link's frame size is refused (docs/link.md).
 *
 * aedes 1.2 has no shared subscriptions (aedes issue #228): a "$share/<group>/<filter>" from the
 * platform is narrowed to "<filter>". With one platform process per embedded broker that is the same
 * delivery; several platform workers need an external broker (--broker), where $share is real.
 *
 * Hostile or broken clients are bounded (connection-guard.ts: packet sizes before and after CONNECT,
 * half-open connections per address; `connectTimeoutMs` for the time before CONNECT) and password
 * checks run off the event loop, a few at a time (check-limiter.ts). The plain listener can be off
 * (`port: null`) so that devices only reach the broker over TLS with client certificates; the
 * platform's own client then connects in process (connectInProcess()), needing no listener at all.
 *
 * A refused PUBLISH closes the client's connection (aedes; MQTT 3.1.1 has no PUBLISH error code,
 * §3.3.5); a refused SUBSCRIBE is answered with return code 0x80 in SUBACK. Logs carry client ids
 * and reasons, never payloads or credentials.
 */
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { duplexPair } from './duplex-pair';
import { coalesceWrites } from '../../../net/mqtt/coalesce-writes';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import type { AuthenticateError, Client } from 'aedes';
import { writeToStream } from 'mqtt-packet';

type AuthenticateDone = (error: AuthenticateError | null, success: boolean | null) => void;
import { SMS_USER_DATA_MAX } from '../../../firmware/src/core/link/udh';
import { type BrokerIdentity, mayPublish, maySubscribe, stripSharePrefix } from './acl';
import { type ConnectVerdict, type PasswordCheck, decideConnect } from './identity';
import { ConnectionGuard } from './connection-guard';
import { CheckLimiter } from './check-limiter';

export interface BrokerTls {
  /** 0 = a free port. */
  port: number;
  keyPem: string;
  certPem: string;
  /** CA that signs acceptable client certificates. */
  caPem: string;
}

export type BrokerLog = (event: string, detail: Record<string, unknown>) => void;

export interface EmbeddedBrokerOptions {
  /** Interface to listen on; 127.0.0.1 unless devices on other machines must reach it. */
  host?: string;
  /** Plain listener port; 0 = a free port; null = no plain listener (TLS and in-process only). */
  port: number | null;
  tls?: BrokerTls;
  checkPassword: PasswordCheck;
  /** Final say on an identity (e.g. a revoked device's still-valid certificate); default: admit. */
  admit?: (identity: BrokerIdentity) => boolean;
  /** Largest PUBLISH payload accepted: the link frame size (140 unless set larger). */
  maxPayload?: number;
  /** Time a connection has to send its CONNECT (default 10 s). */
  connectTimeoutMs?: number;
  /** Connections from one address still without an accepted CONNECT (default 8). */
  maxPendingPerAddress?: number;
  /** Password checks running at once, and waiting (defaults 2 and 32). */
  passwordChecks?: { concurrent: number; queued: number };
  log?: BrokerLog;
}

/** A CONNECT carries a client id, a user name and a password: far below this. */
export const MAX_CONNECT_PACKET = 1024;
/** Topic, packet id and MQTT 5 properties beside a frame's payload: far below this. */
const PACKET_OVERHEAD = 512;

export interface EmbeddedBroker {
  readonly host: string;
  /** Plain listener port, or null when it is off. */
  readonly port: number | null;
  readonly tlsPort: number | null;
  /**
   * Where devices connect: mqtt://host:port of the plain listener, or the TLS listener's URL when the
   * plain one is off.
   */
  readonly url: string;
  /** mqtts://host:port of the TLS listener, or null. */
  readonly tlsUrl: string | null;
  /**
   * A connection from inside this process with the given identity (the platform's own client):
   * no listener, no password. Hand it to the MQTT client as its stream.
   */
  connectInProcess(identity: BrokerIdentity): Duplex;
  /**
   * A QoS 1 PUBLISH by the broker itself (aedes' publish): the path a client's PUBLISH takes once
   * authorised (queued for offline persistent sessions, routed to the online ones), with no packet
   * built, written or parsed and no PUBACK. Resolves once aedes has handed it on, when a client's
   * PUBACK would have been sent. For the platform's frames (inProcessEndpoint), whose ACL allows
   * every down topic; the caller checks topic and size.
   */
  publish(topic: string, payload: Buffer): Promise<void>;
  /**
   * The broker's own subscription (aedes' subscribe): every PUBLISH a client makes to a topic
   * matching filter, once authorised, is handed to deliver as the broker routes it to the online
   * sessions, with no packet built, written or parsed and no PUBACK; the publishing client's PUBACK
   * does not wait for it any more than for a client subscriber's. For the platform's up frames
   * (inProcessEndpoint) when the platform runs beside its broker: one process, so no session of the
   * platform outlives it and nothing is queued for it while away. Resolves to its unsubscribe.
   */
  subscribe(filter: string, deliver: (topic: string, payload: Buffer) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * mqtt-packet (the packet writer of aedes and of mqtt.js, one copy per process) fills a cache of
 * 65,536 two-octet Buffers, one per packet id and length, when it writes its first packet, and
 * keeps it for the life of the process: about 6 MB of heap that every collection walks. Without it
 * a packet's two-octet fields are written from small Buffers taken from Node's pool. Turned off
 * before the broker writes anything (mqtt.js's own `writeCache: false` option does the same).
 * Platform bench, 1,000 terminals (the flag alone, 3 interleaved pairs): platform rss at the start
 * of the timed phase 173-176 -> 162-166 MB, heap peak 123-127 -> 99-119 MB.
 */
function noNumberCache(): void {
  writeToStream.cacheNumbers = false;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const maxPayload = options.maxPayload ?? SMS_USER_DATA_MAX;
  const log: BrokerLog = options.log ?? (() => {});
  noNumberCache();
  const identities = new WeakMap<Client, BrokerIdentity>();
  const inProcess = new WeakMap<object, BrokerIdentity>();
  const guard = new ConnectionGuard(
    { maxConnectPacket: MAX_CONNECT_PACKET, maxPacket: maxPayload + PACKET_OVERHEAD, maxPendingPerAddress: options.maxPendingPerAddress ?? 8 },
    log,
  );
  const checks = options.passwordChecks ?? { concurrent: 2, queued: 32 };
  const limiter = new CheckLimiter(checks.concurrent, checks.queued);

  const aedes = await Aedes.createBroker({
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    // No delivery queue: with aedes' default (100 messages in delivery, the rest queued in
    // mqemitter 7) a message with no online subscriber finishes synchronously and starts the next
    // queued one from inside its own call, so thousands queued behind a slow subscriber ran out of
    // stack and killed the process (10,000 terminals starting their jobs at once). Without the
    // queue each message is handed on from its own packet's handler (the queue had no bound either).
    concurrency: 0,
    authenticate(client, username, password, done) {
      void decideConnect(client.conn, client.id, username, password, options.checkPassword, limiter, inProcess.get(client.conn)).then(
        (verdict) => decided(client, verdict, done),
        (err: Error) => decided(client, { ok: false, returnCode: 3, reason: `password check failed: ${err.message}` }, done),
      );
    },
    authorizePublish(client, packet, done) {
      if (client === null) {
        done(new Error('publish without a client refused'));
        return;
      }
      const who = identities.get(client);
      if (who === undefined || !mayPublish(who, packet.topic)) {
        log('publish.refused', { clientId: client.id, topic: packet.topic });
        done(new Error(`not authorised to publish to ${packet.topic}`));
        return;
      }
      if (packet.payload.length > maxPayload) {
        log('publish.refused', { clientId: client.id, topic: packet.topic, reason: `payload ${packet.payload.length} > ${maxPayload} octets` });
        done(new Error(`payload over ${maxPayload} octets`));
        return;
      }
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const who = identities.get(client);
      if (who === undefined || !maySubscribe(who, sub.topic)) {
        log('subscribe.refused', { clientId: client.id, filter: sub.topic });
        done(null, null);
        return;
      }
      const plain = stripSharePrefix(sub.topic);
      if (plain === null) {
        done(null, null);
        return;
      }
      // Rewritten in place (aedes' documented way): the same object is what aedes persists for a
      // persistent session and routes QoS 1 by, so a copy would leave the session on "$share/...".
      sub.topic = plain;
      done(null, sub);
    },
  });

  function decided(client: Client, verdict: ConnectVerdict, done: AuthenticateDone): void {
    if (!verdict.ok) {
      log('connect.refused', { clientId: client.id, reason: verdict.reason });
      done(Object.assign(new Error(verdict.reason), { returnCode: verdict.returnCode }), false);
      return;
    }
    if (options.admit !== undefined && !options.admit(verdict.identity)) {
      log('connect.refused', { clientId: client.id, reason: `${verdict.identity.role} '${verdict.identity.id}' not admitted` });
      done(Object.assign(new Error('not authorised'), { returnCode: 5 as const }), false);
      return;
    }
    identities.set(client, verdict.identity);
    guard.accepted(client.conn);
    done(null, true);
  }

  aedes.on('clientError', (client, err) => log('client.error', { clientId: client.id, error: err.message }));
  aedes.on('connectionError', (_client, err) => log('connection.error', { error: err.message }));

  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  // A listener's close() waits for every connection it accepted to end, and connected devices keep
  // theirs: stop listening, close aedes (it ends its clients), then end what is left (connections
  // before their CONNECT), so the broker closes while devices are still connected.
  const close = async (): Promise<void> => {
    const stopped = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await stopped;
  };

  try {
    // Frames are small and each waits for its PUBACK: without TCP_NODELAY, Nagle holds every one
    // back for the peer's delayed ACK (bench/download.ts measured 2.6x on a 1 KB download).
    const handle = (socket: Socket): void => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.setNoDelay(true);
      // The frames of a secured packet, published together, leave in one write (coalesce-writes.ts).
      if (guard.admit(socket)) aedes.handle(coalesceWrites(socket));
    };
    let port: number | null = null;
    if (options.port !== null) {
      const plain = createNetServer(handle);
      servers.push(plain);
      port = await listen(plain, host, options.port);
    }
    let tlsPort: number | null = null;
    if (options.tls !== undefined) {
      const secure = createTlsServer(
        {
          key: options.tls.keyPem,
          cert: options.tls.certPem,
          ca: options.tls.caPem,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        },
        handle,
      );
      servers.push(secure);
      tlsPort = await listen(secure, host, options.tls.port);
    }
    if (port === null && tlsPort === null) throw new Error('the embedded broker needs a plain or a TLS listener');
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return {
      host,
      port,
      tlsPort,
      url: port === null ? `mqtts://${urlHost}:${tlsPort}` : `mqtt://${urlHost}:${port}`,
      tlsUrl: tlsPort === null ? null : `mqtts://${urlHost}:${tlsPort}`,
      connectInProcess(identity) {
        const [clientSide, brokerSide] = duplexPair();
        inProcess.set(brokerSide, identity);
        aedes.handle(brokerSide);
        return clientSide;
      },
      publish(topic, payload) {
        return new Promise<void>((resolve, reject) => {
          const packet = { cmd: 'publish' as const, topic, payload, qos: 1 as const, retain: false, dup: false };
          aedes.publish(packet, (err?: Error) => (err === undefined || err === null ? resolve() : reject(err)));
        });
      },
      subscribe(filter, deliver) {
        const listener = (packet: { topic: string; payload: Buffer | string }, done: () => void): void => {
          try {
            deliver(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
          } finally {
            done();
          }
        };
        const unsubscribe = (): Promise<void> => new Promise((resolve) => aedes.unsubscribe(filter, listener, () => resolve()));
        return new Promise((resolve, reject) =>
          aedes.subscribe(filter, listener, (err?: Error) => (err === undefined || err === null ? resolve(unsubscribe) : reject(err))),
        );
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
