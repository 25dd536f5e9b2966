/**
 * The platform's end of the link: one LinkEndpoint per device (firmware/src/core/link/link-endpoint.ts,
 * the endpoint the terminal's MCU runs too) with that device's key set and counters, fed the frames
 * of a LinkTransport; this file is its I/O shell: routes, promises, timers, logs (TS 102 225 §5).
 * Two directions:
 *
 * - up: a device's command packet (a request from its MCU) goes to the handler routed for its TAR;
 *   what the handler returns travels back as the data of a secured PoR. No route for the TAR means
 *   status 09 TAR unknown: the platform runs no application there. A refused packet (replayed,
 *   tampered, under-secured) is answered with the status the opener gives, in a clear PoR unless the
 *   packet authenticated, and reaches no handler.
 * - down: sendCommand() seals data under the next down counter (persisted before sending), segments
 *   it, sends it, and resolves with the device's PoR, matched by TAR and counter.
 *
 * Handlers see a request at least once per counter value: a device that got no PoR resends with a
 * new counter, so handlers must be idempotent (the flows key their state by job, not by packet).
 * A copy of a recent request (MQTT QoS 1 redelivery; firmware/src/core/link/answered-command.ts)
 * reaches no handler: a copy of the last one gets the same PoR once the handler has answered (and
 * nothing before), a copy of an earlier one nothing. A PoR for a command already settled matches
 * nothing and is dropped.
 * Logs carry device ids, TARs, sizes and status codes, never packet contents or keys.
 */
import { performance } from 'node:perf_hooks';
import { NodeAes } from '../../../net/crypto/node-aes';
import { COPY_OF_LAST } from '../../../firmware/src/core/link/answered-command';
import type { CounterStore } from '../../../firmware/src/core/link/counter';
import { LinkKeyset } from '../../../firmware/src/core/link/keyset';
import {
  LinkEndpoint, RECEIVED_COMMAND, RECEIVED_POR, REQUEST_COUNTER_EXHAUSTED, REQUEST_SENT,
} from '../../../firmware/src/core/link/link-endpoint';
import { LINK_COMMAND_REFUSED, LINK_COPY, LINK_FRAME_REFUSED, LINK_POR_REFUSED } from '../../../firmware/src/core/link/link-notes';
import { porText } from '../../../firmware/src/core/link/por-status';
import { REASSEMBLY } from '../../../firmware/src/core/link/reassembler';
import { commandDataMax } from '../../../firmware/src/core/link/command-packet';
import { Segmenter, SegmenterSettings } from '../../../firmware/src/core/link/segmenter';
import { SMS_USER_DATA_MAX } from '../../../firmware/src/core/link/udh';
import type { Log } from '../log';
import type { LinkTransport } from '../../../net/mqtt/link-transport';

export interface UplinkRequest {
  deviceId: string;
  tar: number;
  data: Uint8Array;
}

/** Answers one authenticated request; the bytes become the PoR's data. */
export type RequestHandler = (req: UplinkRequest) => Promise<Uint8Array>;

export interface PorResult {
  status: number;
  data: Uint8Array;
  /** False for a clear PoR (a refusal reported without a checksum). */
  verified: boolean;
}

/** Raw link keys of a device, or null when the device is unknown or revoked. The link wipes them. */
export type LinkKeySource = (deviceId: string) => { keyIndex: number; kic: Uint8Array; kid: Uint8Array } | null;
export type CounterSource = (deviceId: string, direction: 'up' | 'down') => CounterStore;

export interface PlatformLinkOptions {
  transport: LinkTransport;
  keys: LinkKeySource;
  counters: CounterSource;
  log: Log;
  frameSize?: number;
  maxParts?: number;
  /** How long sendCommand waits for the PoR. */
  porTimeoutMs?: number;
}

export class LinkError extends Error {
  constructor(
    message: string,
    readonly code: 'POR_TIMEOUT' | 'UNKNOWN_DEVICE' | 'PACKET_TOO_LONG' | 'COUNTER_EXHAUSTED' | 'CLOSED',
  ) {
    super(message);
  }
}

interface Pending {
  tar: number;
  cntr: string;
  resolve(r: PorResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface DeviceState {
  endpoint: LinkEndpoint;
  /** Frames the endpoint produced, waiting to be sent in order. */
  outbox: Uint8Array[];
  pending: Pending[];
}

const MAX_PACKET_PARTS_DEFAULT = 8;
/** Reassemblies open at once per device: room for junk first parts beside a real transfer (reassembler.ts). */
const REASSEMBLIES_PER_DEVICE = 4;

export class PlatformLink {
  /** The most data one command carries: a command packet of maxParts frames (docs/link.md "Frames"). */
  readonly commandDataMax: number;
  private readonly routes = new Map<number, RequestHandler>();
  private readonly devices = new Map<string, DeviceState>();
  private readonly frameSize: number;
  private readonly maxParts: number;
  private readonly porTimeoutMs: number;
  private closed = false;

  constructor(private readonly opts: PlatformLinkOptions) {
    this.frameSize = opts.frameSize ?? SMS_USER_DATA_MAX;
    this.maxParts = opts.maxParts ?? MAX_PACKET_PARTS_DEFAULT;
    this.porTimeoutMs = opts.porTimeoutMs ?? 30_000;
    const segments = new SegmenterSettings();
    segments.frameSize = this.frameSize;
    segments.maxParts = this.maxParts;
    this.commandDataMax = commandDataMax(new Segmenter(segments).packetMax());
    opts.transport.onFrame((deviceId, frame) => this.onFrame(deviceId, frame));
  }

  /** Routes authenticated requests for tar to handler (one handler per TAR). */
  route(tar: number, handler: RequestHandler): void {
    this.routes.set(tar, handler);
  }

  /** Seals data for the device's application at tar, sends it, and resolves with its PoR. */
  async sendCommand(deviceId: string, tar: number, data: Uint8Array, timeoutMs = this.porTimeoutMs): Promise<PorResult> {
    if (this.closed) throw new LinkError('link closed', 'CLOSED');
    const dev = this.device(deviceId);
    if (dev === null) throw new LinkError(`device '${deviceId}' has no active link keys`, 'UNKNOWN_DEVICE');
    const ep = dev.endpoint;
    const sent = ep.request(tar, data, 0, data.length);
    if (sent !== REQUEST_SENT) {
      dev.outbox.length = 0;
      throw sent === REQUEST_COUNTER_EXHAUSTED
        ? new LinkError(`device '${deviceId}': down counter exhausted, a new key set is needed`, 'COUNTER_EXHAUSTED')
        : new LinkError(`command of ${data.length} octets does not fit ${this.maxParts} frames`, 'PACKET_TOO_LONG');
    }
    const por = new Promise<PorResult>((resolve, reject) => {
      const entry: Pending = {
        tar,
        cntr: Buffer.from(ep.sentCntr).toString('hex'),
        resolve,
        reject,
        timer: setTimeout(() => {
          this.dropPending(dev, entry);
          reject(new LinkError(`no PoR from '${deviceId}' within ${timeoutMs} ms`, 'POR_TIMEOUT'));
        }, timeoutMs),
      };
      dev.pending.push(entry);
    });
    por.catch(() => {}); // the caller gets the rejection through the returned promise
    const octets = dev.outbox.reduce((n, f) => n + f.length, 0);
    await this.flush(deviceId, dev);
    this.opts.log('link.command.sent', { deviceId, tar: tarHex(tar), octets });
    return por;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const dev of this.devices.values()) {
      for (const p of dev.pending) {
        clearTimeout(p.timer);
        p.reject(new LinkError('link closed', 'CLOSED'));
      }
      dev.endpoint.keys.wipe();
    }
    this.devices.clear();
  }

  private onFrame(deviceId: string, frame: Uint8Array): void {
    if (this.closed) return;
    let dev: DeviceState | null;
    try {
      dev = this.device(deviceId);
    } catch (err) {
      // Its keys or counters cannot be read now (the database is unavailable): the peer sends again.
      this.opts.log('link.frame.dropped', { deviceId, reason: (err as Error).message });
      return;
    }
    if (dev === null) {
      this.opts.log('link.frame.dropped', { deviceId, reason: 'unknown or revoked device' });
      return;
    }
    const ep = dev.endpoint;
    try {
      const got = ep.receive(frame, frame.length, nowSeconds());
      if (got === RECEIVED_COMMAND) this.onCommand(deviceId, dev);
      else if (got === RECEIVED_POR) this.onPor(deviceId, dev);
    } catch (err) {
      // A counter store that refuses the write (another worker holds the device's lease).
      this.opts.log('link.request.failed', { deviceId, error: (err as Error).message });
    } finally {
      ep.forget();
    }
    this.flush(deviceId, dev).catch((err: Error) => this.opts.log('link.send.failed', { deviceId, error: err.message }));
  }

  /** A new request: its handler answers it (the endpoint keeps the answer for copies of it). */
  private onCommand(deviceId: string, dev: DeviceState): void {
    const c = dev.endpoint.command;
    const tar = c.tar;
    const cntr = c.cntr.slice();
    const porMode = c.spi2 & 0x03;
    const request: UplinkRequest = { deviceId, tar, data: c.data.slice(c.dataOff, c.dataOff + c.dataLen) };
    this.opts.log('link.command.received', { deviceId, tar: tarHex(tar), octets: request.data.length });
    const handler = this.routes.get(tar) as RequestHandler;
    handler(request)
      .then(async (answer) => {
        if (this.devices.get(deviceId) !== dev) return;
        dev.endpoint.answer(tar, cntr, 0, porMode, answer, 0, answer.length);
        await this.flush(deviceId, dev);
      })
      .catch((err: Error) => this.opts.log('link.request.failed', { deviceId, error: err.message }));
  }

  /**
   * A PoR: a verified one settles the command it echoes (TAR and counter); a clear refusal carries
   * no counter (TS 102 225 §5.2), so it settles the oldest command outstanding for its TAR marked
   * unverified: it may answer another packet (the caller sends its command again). A PoR matching
   * nothing outstanding (a copy, or one for a command given up) is dropped.
   */
  private onPor(deviceId: string, dev: DeviceState): void {
    const ep = dev.endpoint;
    const o = ep.por;
    if (ep.porVerified) {
      const cntr = Buffer.from(o.cntr).toString('hex');
      const entry = dev.pending.find((p) => p.tar === o.tar && p.cntr === cntr);
      if (entry === undefined) {
        this.opts.log('link.por.unmatched', { deviceId, tar: tarHex(o.tar), status: porText(o.status) });
        return;
      }
      this.settle(dev, entry, { status: o.status, data: o.data.slice(o.dataOff, o.dataOff + o.dataLen), verified: true });
      return;
    }
    const entry = dev.pending.find((p) => p.tar === o.tar);
    this.opts.log('link.por.clear', { deviceId, tar: tarHex(o.tar), status: porText(o.status), matched: entry !== undefined });
    if (entry !== undefined) this.settle(dev, entry, { status: o.status, data: new Uint8Array(0), verified: false });
  }

  private settle(dev: DeviceState, entry: Pending, result: PorResult): void {
    this.dropPending(dev, entry);
    clearTimeout(entry.timer);
    entry.resolve(result);
  }

  private dropPending(dev: DeviceState, entry: Pending): void {
    const i = dev.pending.indexOf(entry);
    if (i >= 0) dev.pending.splice(i, 1);
  }

  /**
   * Sends the frames the endpoint produced, handed to the transport in order all at once (a
   * packet's frames in one event-loop turn: one group-commit wait, and the broker writes them to
   * the device's connection together), and resolves when the broker has taken them all. The
   * device reassembles parts in any order (reassembler.ts). Each caller flushes right after the
   * endpoint sealed, before its first await, so packets are handed over in the order of their
   * counters and never interleave.
   */
  private async flush(deviceId: string, dev: DeviceState): Promise<void> {
    const frames = dev.outbox.splice(0);
    if (frames.length === 1) return this.opts.transport.send(deviceId, frames[0]);
    await Promise.all(frames.map((f) => this.opts.transport.send(deviceId, f)));
  }

  /** What the endpoint did on its own: refusals and copies. */
  private told(deviceId: string, ep: LinkEndpoint, note: number, value: number): void {
    const log = this.opts.log;
    if (note === LINK_FRAME_REFUSED) log('link.frame.refused', { deviceId, reason: reassemblyReason(value) });
    else if (note === LINK_COMMAND_REFUSED) log('link.command.refused', { deviceId, tar: tarHex(ep.command.tar), status: porText(value) });
    else if (note === LINK_POR_REFUSED) log('link.por.refused', { deviceId, code: value });
    else if (note === LINK_COPY) log('link.command.copy', { deviceId, tar: tarHex(ep.command.tar), of: value === COPY_OF_LAST ? 'last, PoR sent again if answered' : 'earlier, dropped' });
  }

  private device(deviceId: string): DeviceState | null {
    const known = this.devices.get(deviceId);
    if (known !== undefined) return known;
    const raw = this.opts.keys(deviceId);
    if (raw === null) return null;
    const kic = new NodeAes();
    const kid = new NodeAes();
    try {
      kic.setKey(raw.kic, 0, raw.kic.length);
      kid.setKey(raw.kid, 0, raw.kid.length);
    } finally {
      raw.kic.fill(0);
      raw.kid.fill(0);
    }
    const outbox: Uint8Array[] = [];
    const routes = this.routes;
    const endpoint: LinkEndpoint = new LinkEndpoint(
      new LinkKeyset(kic, kid, raw.keyIndex),
      this.opts.counters(deviceId, 'down'),
      this.opts.counters(deviceId, 'up'),
      { acceptsTar: (tar) => routes.has(tar) },
      { sendFrame: (f) => outbox.push(f.slice()), tell: (note, value) => this.told(deviceId, endpoint, note, value) },
      this.frameSize * this.maxParts,
      this.frameSize,
      this.maxParts,
      REASSEMBLIES_PER_DEVICE,
      Math.floor(Math.random() * 256),
    );
    const state: DeviceState = { endpoint, outbox, pending: [] };
    this.devices.set(deviceId, state);
    return state;
  }

  /** Forgets a device's cached keys and reassemblies (after revocation or key rotation). */
  forget(deviceId: string): void {
    const dev = this.devices.get(deviceId);
    if (dev === undefined) return;
    for (const p of dev.pending) {
      clearTimeout(p.timer);
      p.reject(new LinkError(`device '${deviceId}' forgotten`, 'UNKNOWN_DEVICE'));
    }
    dev.endpoint.keys.wipe();
    this.devices.delete(deviceId);
  }
}

function nowSeconds(): number {
  return Math.floor(performance.now() / 1000);
}

function tarHex(tar: number): string {
  return tar.toString(16).padStart(6, '0');
}

function reassemblyReason(code: number): string {
  for (const [name, value] of Object.entries(REASSEMBLY)) if (value === code) return name;
  return `code ${code}`;
}
