/**
 * The platform link's transport for one of several workers (tapcard platform worker): frames come
 * up through the shared subscription (MQTT 5 §4.8.2), so any worker may receive any device's
 * frame, but a device is served by the one worker holding its lease (workers/device-leases.ts),
 * which must see every segment of its packets and every PoR of its commands. A worker keeps the
 * frames of devices it holds or can claim, and hands the others to the holder's inbox topic
 * (topics.ts workerInboxTopic) as: hops (1 octet), device id length (1 octet), device id, frame.
 *
 * Clean sessions: a worker that dies leaves the share group with its connection, so the living
 * workers get all frames at once; frames in flight to it are lost, which the link already survives
 * (a command without PoR is sent again, a device without PoR asks again).
 */
import type { MqttClient } from 'mqtt';
import { SMS_USER_DATA_MAX } from '../../../firmware/src/core/link/udh';
import { DatabaseUnavailableError } from '../db/port';
import type { DeviceLeases } from '../workers/device-leases';
import { endMqtt, type MqttEndpoint, openMqtt } from '../../../net/mqtt/client';
import type { LinkTransport } from '../../../net/mqtt/link-transport';
import { subscribeQos1, type TransportLog } from '../../../net/mqtt/mqtt-transport';
import { isValidDeviceId } from '../../../contracts/device-id';
import { SHARED_GROUP, downTopic, parseLinkTopic, sharedUpFilter, workerInboxTopic } from '../../../net/mqtt/topics';

/** Hand-overs of one frame before it is dropped (two workers disagreeing about a lease in flux). */
const MAX_HOPS = 3;

export interface LeasedTransportOptions {
  frameSize?: number;
  shareGroup?: string;
  log?: TransportLog;
}

export class LeasedTransport implements LinkTransport {
  private handler: ((deviceId: string, frame: Uint8Array) => void) | null = null;

  private constructor(
    private readonly client: MqttClient,
    private readonly leases: DeviceLeases,
    private readonly frameSize: number,
    private readonly log: TransportLog,
  ) {}

  static async connect(ep: MqttEndpoint, leases: DeviceLeases, options: LeasedTransportOptions = {}): Promise<LeasedTransport> {
    const frameSize = options.frameSize ?? SMS_USER_DATA_MAX;
    const log = options.log ?? (() => {});
    const inbox = workerInboxTopic(leases.workerId);
    const { client, connected } = openMqtt({ ...ep, cleanSession: true });
    const t = new LeasedTransport(client, leases, frameSize, log);
    client.on('message', (topic, payload) => {
      if (topic === inbox) {
        t.onHandedOver(payload);
        return;
      }
      const parsed = parseLinkTopic(topic);
      if (parsed === null || parsed.direction !== 'up') return;
      if (payload.length === 0 || payload.length > frameSize) {
        log('frame.dropped', { deviceId: parsed.deviceId, octets: payload.length });
        return;
      }
      t.route(parsed.deviceId, new Uint8Array(payload), 0);
    });
    await connected;
    try {
      await subscribeQos1(client, inbox);
      await subscribeQos1(client, sharedUpFilter(options.shareGroup ?? SHARED_GROUP));
    } catch (err) {
      await client.endAsync(true);
      throw err;
    }
    return t;
  }

  async send(deviceId: string, frame: Uint8Array): Promise<void> {
    if (frame.length === 0 || frame.length > this.frameSize) throw new RangeError(`frame of ${frame.length} octets: expected 1..${this.frameSize}`);
    await this.client.publishAsync(downTopic(deviceId), Buffer.from(frame), { qos: 1 });
  }

  onFrame(handler: (deviceId: string, frame: Uint8Array) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    await endMqtt(this.client);
  }

  /**
   * Delivers here when this worker serves the device, else hands the frame to the worker that does.
   * Without the database (leases unknown) the frame is dropped: the link survives a lost frame.
   */
  private route(deviceId: string, frame: Uint8Array, hops: number): void {
    try {
      this.deliver(deviceId, frame, hops);
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) throw err;
      this.log('frame.dropped', { deviceId, reason: err.message });
    }
  }

  private deliver(deviceId: string, frame: Uint8Array, hops: number): void {
    if (this.leases.claim(deviceId)) {
      if (this.handler === null) this.log('frame.dropped', { deviceId, reason: 'no handler registered' });
      else this.handler(deviceId, frame);
      return;
    }
    const owner = this.leases.owner(deviceId);
    if (owner === null || hops >= MAX_HOPS) {
      this.log('frame.dropped', { deviceId, reason: owner === null ? 'unknown device or lease in flux' : 'too many hand-overs', hops });
      return;
    }
    const id = Buffer.from(deviceId, 'ascii');
    const msg = Buffer.concat([Buffer.of(hops + 1, id.length), id, frame]);
    this.client.publishAsync(workerInboxTopic(owner), msg, { qos: 1 }).catch((err: Error) => this.log('frame.handover.failed', { deviceId, owner, error: err.message }));
  }

  private onHandedOver(msg: Buffer): void {
    if (msg.length < 3) return;
    const hops = msg[0];
    const idLen = msg[1];
    const deviceId = msg.subarray(2, 2 + idLen).toString('ascii');
    const frame = new Uint8Array(msg.subarray(2 + idLen));
    if (!isValidDeviceId(deviceId) || frame.length === 0 || frame.length > this.frameSize) {
      this.log('frame.dropped', { reason: 'malformed hand-over', octets: msg.length });
      return;
    }
    this.route(deviceId, frame, hops);
  }
}
