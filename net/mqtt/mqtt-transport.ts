/**
 * LinkTransport and DeviceLinkTransport over MQTT: QoS 1 on tapcard/v1/<id>/up|down with persistent
 * sessions (topics.ts, client.ts). The platform subscribes through the shared subscription, so
 * several platform processes split the devices' traffic on brokers that support it.
 *
 * Frames larger than the frame size are dropped on receipt (and logged with their size only); the
 * reassembler would refuse them anyway, and no payload is ever logged. A persistent session
 * delivers what queued while offline right after CONNACK, so frames that arrive before onFrame()
 * are held (up to HELD_FRAMES_MAX) and handed over when it is called.
 */
import type { MqttClient } from 'mqtt';
import { SMS_USER_DATA_MAX } from '../../firmware/src/core/link/udh';
import { endMqtt, type MqttEndpoint, openMqtt } from './client';
import type { DeviceLinkTransport, LinkTransport } from './link-transport';
import { PLATFORM_UP_FILTER, SHARED_GROUP, downTopic, parseLinkTopic, sharedUpFilter, upTopic } from './topics';

export type TransportLog = (event: string, detail: Record<string, unknown>) => void;

export interface TransportOptions {
  /** Largest frame accepted and sent (140 unless the deployment sets more). */
  frameSize?: number;
  log?: TransportLog;
  /** Platform only: the shared-subscription group (default 'platform'; topics.ts sharedUpFilter). */
  shareGroup?: string;
}

/** Frames kept for a handler that is not registered yet; beyond this they are dropped and logged. */
export const HELD_FRAMES_MAX = 1024;

/** Delivers to the registered handler, or holds frames until there is one. */
class FrameInbox<A extends unknown[]> {
  private handler: ((...args: A) => void) | null = null;
  private held: A[] = [];

  constructor(private readonly log: TransportLog) {}

  deliver(...args: A): void {
    if (this.handler !== null) {
      this.handler(...args);
    } else if (this.held.length < HELD_FRAMES_MAX) {
      this.held.push(args);
    } else {
      this.log('frame.dropped', { reason: 'no handler registered', held: this.held.length });
    }
  }

  register(handler: (...args: A) => void): void {
    this.handler = handler;
    const held = this.held;
    this.held = [];
    for (const args of held) handler(...args);
  }
}

export class SubscriptionRefusedError extends Error {
  readonly code = 'SUBSCRIPTION_REFUSED';
}

/** Subscribes with QoS 1; a SUBACK 0x80 (which mqtt.js reports as an error) becomes SubscriptionRefusedError. */
export async function subscribeQos1(client: MqttClient, filter: string): Promise<void> {
  let granted;
  try {
    granted = await client.subscribeAsync(filter, { qos: 1 });
  } catch (err) {
    throw new SubscriptionRefusedError(`broker refused subscription to ${filter}: ${(err as Error).message}`);
  }
  if (granted.length !== 1 || granted[0].qos === 128) throw new SubscriptionRefusedError(`broker refused subscription to ${filter}`);
}

function checkFrame(frame: Uint8Array, frameSize: number): void {
  if (frame.length === 0 || frame.length > frameSize) throw new RangeError(`frame of ${frame.length} octets: expected 1..${frameSize}`);
}

export class MqttPlatformTransport implements LinkTransport {
  private constructor(
    private readonly client: MqttClient,
    private readonly frameSize: number,
    private readonly inbox: FrameInbox<[string, Uint8Array]>,
    /** The embedded broker's own publish, when the client runs in its process (client.ts publishInProcess). */
    private readonly publishInProcess: ((topic: string, payload: Buffer) => Promise<void>) | undefined,
  ) {}

  /** Ends the broker's own subscription (client.ts subscribeInProcess), when the frames come through it. */
  private unsubscribeInProcess: (() => Promise<void>) | null = null;

  /**
   * Connects, subscribes to every device's up topic (shared), and resolves when both are done. Beside
   * an embedded broker (ep.subscribeInProcess) the up frames come through the broker's own
   * subscription to every device's up topic instead (one process, one platform: nothing to share),
   * with no PUBLISH built, passed through the in-process stream and parsed, and no PUBACK back, per
   * frame; the client stays connected, as the platform's presence on its broker.
   */
  static async connect(ep: MqttEndpoint, options: TransportOptions = {}): Promise<MqttPlatformTransport> {
    const frameSize = options.frameSize ?? SMS_USER_DATA_MAX;
    const log = options.log ?? (() => {});
    const filter = sharedUpFilter(options.shareGroup ?? SHARED_GROUP);
    const { client, connected } = openMqtt(ep);
    const t = new MqttPlatformTransport(client, frameSize, new FrameInbox(log), ep.inProcess === undefined ? undefined : ep.publishInProcess);
    const received = (topic: string, payload: Buffer): void => {
      const parsed = parseLinkTopic(topic);
      if (parsed === null || parsed.direction !== 'up') return;
      if (payload.length === 0 || payload.length > frameSize) {
        log('frame.dropped', { deviceId: parsed.deviceId, octets: payload.length });
        return;
      }
      t.inbox.deliver(parsed.deviceId, new Uint8Array(payload));
    };
    const inProcess = ep.inProcess === undefined ? undefined : ep.subscribeInProcess;
    if (inProcess === undefined) client.on('message', received);
    await connected;
    try {
      if (inProcess === undefined) await subscribeQos1(client, filter);
      else t.unsubscribeInProcess = await inProcess(PLATFORM_UP_FILTER, received);
    } catch (err) {
      await client.endAsync(true);
      throw err;
    }
    return t;
  }

  /**
   * Through the embedded broker's own publish when the platform runs beside it (one PUBLISH and
   * one PUBACK fewer to build, pass through the in-process stream and parse per frame), else
   * as the client's QoS 1 PUBLISH; either way it resolves once the broker has taken the frame.
   */
  async send(deviceId: string, frame: Uint8Array): Promise<void> {
    checkFrame(frame, this.frameSize);
    if (this.publishInProcess !== undefined) return this.publishInProcess(downTopic(deviceId), Buffer.from(frame));
    await this.client.publishAsync(downTopic(deviceId), Buffer.from(frame), { qos: 1 });
  }

  onFrame(handler: (deviceId: string, frame: Uint8Array) => void): void {
    this.inbox.register(handler);
  }

  async close(): Promise<void> {
    const unsubscribe = this.unsubscribeInProcess;
    this.unsubscribeInProcess = null;
    await unsubscribe?.();
    await endMqtt(this.client);
  }
}

/** The options of every frame's PUBLISH (one object, not one per frame). */
const QOS1 = { qos: 1 } as const;

export class MqttDeviceTransport implements DeviceLinkTransport {
  /** The device's up topic, made once. */
  private readonly up: string;

  private constructor(
    readonly deviceId: string,
    private readonly client: MqttClient,
    private readonly frameSize: number,
    private readonly inbox: FrameInbox<[Uint8Array]>,
  ) {
    this.up = upTopic(deviceId);
  }

  /** Connects as the device (client id = device id) and subscribes to its down topic. */
  static async connect(deviceId: string, ep: MqttEndpoint, options: TransportOptions = {}): Promise<MqttDeviceTransport> {
    const frameSize = options.frameSize ?? SMS_USER_DATA_MAX;
    const log = options.log ?? (() => {});
    const { client, connected } = openMqtt({ ...ep, clientId: deviceId });
    const t = new MqttDeviceTransport(deviceId, client, frameSize, new FrameInbox(log));
    const mine = downTopic(deviceId);
    client.on('message', (topic, payload) => {
      if (topic !== mine) return;
      if (payload.length === 0 || payload.length > frameSize) {
        log('frame.dropped', { deviceId, octets: payload.length });
        return;
      }
      t.inbox.deliver(new Uint8Array(payload));
    });
    await connected;
    try {
      await subscribeQos1(client, mine);
    } catch (err) {
      await client.endAsync(true);
      throw err;
    }
    return t;
  }

  /** Resolves once the broker has the frame (its PUBACK); one promise per frame, settled by mqtt.js's callback. */
  send(frame: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      checkFrame(frame, this.frameSize);
      this.client.publish(this.up, Buffer.from(frame), QOS1, (err) => (err ? reject(err) : resolve()));
    });
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.inbox.register(handler);
  }

  async close(): Promise<void> {
    await endMqtt(this.client);
  }
}
