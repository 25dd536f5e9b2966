/**
 * The platform's end of the link: frames from a LinkTransport are reassembled per device, secured
 * packets opened with that device's key set and counters, and answered (TS 102 225 §5;
 * firmware/src/core/link). Two directions:
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
import { NodeAes } from '../crypto/node-aes';
import { AnsweredCommands, COPY_OF_LAST, NOT_A_COPY } from '../../../firmware/src/core/link/answered-command';
import { CommandOpener } from '../../../firmware/src/core/link/command-packet';
import type { CounterStore } from '../../../firmware/src/core/link/counter';
import { LinkKeyset } from '../../../firmware/src/core/link/keyset';
import { POR, porText } from '../../../firmware/src/core/link/por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings, isReassemblyRejection } from '../../../firmware/src/core/link/reassembler';
import { RESPONSE, ResponseOpener, sealClearResponse, sealResponse } from '../../../firmware/src/core/link/response-packet';
import { SEGMENT_TOO_LONG, Segmenter, SegmenterSettings } from '../../../firmware/src/core/link/segmenter';
import { POR_ALWAYS, POR_ON_ERROR } from '../../../firmware/src/core/link/spi';
import { PACKET_COMMAND, PACKET_RESPONSE, SMS_USER_DATA_MAX } from '../../../firmware/src/core/link/udh';
import type { Log } from '../log';
import { sealLinkCommand } from './seal-link-command';
import type { LinkTransport } from '../mqtt/link-transport';

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
  keys: LinkKeyset;
  reassembler: Reassembler;
  segmenter: Segmenter;
  nextRef: number;
  pending: Pending[];
  /** The last requests accepted, and the data of the last one's PoR once its handler has answered (null before). */
  answered: AnsweredCommands;
  answer: Uint8Array | null;
  /** Requests accepted, so a handler's late answer is kept only while its request is still the last. */
  accepted: number;
}

const MAX_PACKET_PARTS_DEFAULT = 8;
const NO_DATA = new Uint8Array(0);

export class PlatformLink {
  private readonly routes = new Map<number, RequestHandler>();
  private readonly devices = new Map<string, DeviceState>();
  private readonly frameSize: number;
  private readonly maxParts: number;
  private readonly maxPacket: number;
  private readonly porTimeoutMs: number;
  private readonly commandOpener: CommandOpener;
  private readonly responseOpener: ResponseOpener;
  private closed = false;

  constructor(private readonly opts: PlatformLinkOptions) {
    this.frameSize = opts.frameSize ?? SMS_USER_DATA_MAX;
    this.maxParts = opts.maxParts ?? MAX_PACKET_PARTS_DEFAULT;
    this.maxPacket = this.frameSize * this.maxParts;
    this.porTimeoutMs = opts.porTimeoutMs ?? 30_000;
    this.commandOpener = new CommandOpener(this.maxPacket);
    this.responseOpener = new ResponseOpener(this.maxPacket);
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
    const sealed = sealLinkCommand(dev.keys, this.opts.counters(deviceId, 'down'), tar, data, this.maxPacket);
    if (!sealed.ok) {
      throw sealed.error === 'COUNTER_EXHAUSTED'
        ? new LinkError(`device '${deviceId}': down counter exhausted, a new key set is needed`, 'COUNTER_EXHAUSTED')
        : new LinkError(`command of ${data.length} octets does not fit ${this.maxParts} frames`, 'PACKET_TOO_LONG');
    }
    const { packet, len } = sealed;
    const por = new Promise<PorResult>((resolve, reject) => {
      const entry: Pending = {
        tar,
        cntr: sealed.cntrHex,
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
    await this.sendPacket(deviceId, dev, packet, len, PACKET_COMMAND);
    this.opts.log('link.command.sent', { deviceId, tar: tarHex(tar), octets: len });
    return por;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const dev of this.devices.values()) {
      for (const p of dev.pending) {
        clearTimeout(p.timer);
        p.reject(new LinkError('link closed', 'CLOSED'));
      }
      dev.keys.wipe();
    }
    this.devices.clear();
  }

  private onFrame(deviceId: string, frame: Uint8Array): void {
    if (this.closed) return;
    const dev = this.device(deviceId);
    if (dev === null) {
      this.opts.log('link.frame.dropped', { deviceId, reason: 'unknown or revoked device' });
      return;
    }
    const code = dev.reassembler.push(frame, 0, frame.length, nowSeconds());
    if (isReassemblyRejection(code)) {
      this.opts.log('link.frame.refused', { deviceId, reason: reassemblyReason(code), octets: frame.length });
      return;
    }
    if (code !== REASSEMBLY.COMPLETE) return;
    const r = dev.reassembler;
    const packet = r.packet.slice(0, r.packetLength);
    if (r.packetKind === PACKET_COMMAND) {
      this.onCommand(deviceId, dev, packet).catch((err: Error) => this.opts.log('link.request.failed', { deviceId, error: err.message }));
    } else if (r.packetKind === PACKET_RESPONSE) {
      this.onResponse(deviceId, dev, packet);
    }
  }

  private async onCommand(deviceId: string, dev: DeviceState, packet: Uint8Array): Promise<void> {
    const o = this.commandOpener;
    const status = o.open(packet, 0, packet.length, {
      acceptsTar: (tar) => this.routes.has(tar),
      keys: dev.keys,
      counter: this.opts.counters(deviceId, 'up'),
    });
    const tar = o.tar;
    const porMode = o.spi2 & 0x03;
    const copyOf = dev.answered.copyOf(o, status);
    if (copyOf !== NOT_A_COPY) {
      const answer = copyOf === COPY_OF_LAST ? dev.answer : null;
      this.opts.log('link.command.copy', { deviceId, tar: tarHex(tar), of: copyOf === COPY_OF_LAST ? 'last' : 'earlier', answerAgain: answer !== null });
      if (answer === null || porMode !== POR_ALWAYS) return;
      const out = new Uint8Array(this.maxPacket);
      const len = sealResponse(dev.keys, tar, o.cntr, 0, POR.OK, answer, 0, answer.length, out, 0);
      await this.sendPacket(deviceId, dev, out, len, PACKET_RESPONSE);
      return;
    }
    if (status !== POR.OK) {
      this.opts.log('link.command.refused', { deviceId, tar: tarHex(tar), status: porText(status) });
      if (porMode !== POR_ALWAYS && porMode !== POR_ON_ERROR) return;
      const out = new Uint8Array(this.maxPacket);
      const len = o.authenticated
        ? sealResponse(dev.keys, tar, o.cntr, 0, status, NO_DATA, 0, 0, out, 0)
        : sealClearResponse(tar, status, out, 0);
      await this.sendPacket(deviceId, dev, out, len, PACKET_RESPONSE);
      return;
    }
    const request: UplinkRequest = { deviceId, tar, data: o.data.slice(o.dataOff, o.dataOff + o.dataLen) };
    const cntr = o.cntr.slice();
    o.data.fill(0);
    dev.answered.accept(o);
    dev.answer = null;
    const accepted = ++dev.accepted;
    this.opts.log('link.command.received', { deviceId, tar: tarHex(tar), octets: request.data.length });
    const handler = this.routes.get(tar) as RequestHandler;
    const answer = await handler(request);
    if (dev.accepted === accepted) dev.answer = answer.slice();
    if (porMode !== POR_ALWAYS) return;
    const out = new Uint8Array(this.maxPacket);
    const len = sealResponse(dev.keys, tar, cntr, 0, POR.OK, answer, 0, answer.length, out, 0);
    await this.sendPacket(deviceId, dev, out, len, PACKET_RESPONSE);
  }

  private onResponse(deviceId: string, dev: DeviceState, packet: Uint8Array): void {
    const o = this.responseOpener;
    const code = o.open(packet, 0, packet.length, dev.keys);
    if (code === RESPONSE.VERIFIED) {
      const cntr = Buffer.from(o.cntr).toString('hex');
      const entry = dev.pending.find((p) => p.tar === o.tar && p.cntr === cntr);
      if (entry === undefined) {
        this.opts.log('link.por.unmatched', { deviceId, tar: tarHex(o.tar), status: porText(o.status) });
        return;
      }
      this.settle(dev, entry, { status: o.status, data: o.data.slice(o.dataOff, o.dataOff + o.dataLen), verified: true });
      o.data.fill(0);
      return;
    }
    if (code === RESPONSE.CLEAR) {
      // A clear refusal carries no counter: it answers the oldest command outstanding for that TAR.
      const entry = dev.pending.find((p) => p.tar === o.tar);
      this.opts.log('link.por.clear', { deviceId, tar: tarHex(o.tar), status: porText(o.status), matched: entry !== undefined });
      if (entry !== undefined) this.settle(dev, entry, { status: o.status, data: new Uint8Array(0), verified: false });
      return;
    }
    this.opts.log('link.por.refused', { deviceId, code });
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

  private async sendPacket(deviceId: string, dev: DeviceState, packet: Uint8Array, len: number, kind: number): Promise<void> {
    const ref = dev.nextRef;
    dev.nextRef = (dev.nextRef + 1) & 0xff;
    const parts = dev.segmenter.begin(packet, 0, len, kind, ref);
    if (parts === SEGMENT_TOO_LONG) throw new LinkError(`packet of ${len} octets does not fit ${this.maxParts} frames`, 'PACKET_TOO_LONG');
    const frames: Uint8Array[] = [];
    for (let f = dev.segmenter.next(); f !== null; f = dev.segmenter.next()) frames.push(f.slice());
    for (const f of frames) await this.opts.transport.send(deviceId, f);
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
    const rs = new ReassemblerSettings();
    rs.frameSize = this.frameSize;
    rs.maxParts = this.maxParts;
    const ss = new SegmenterSettings();
    ss.frameSize = this.frameSize;
    ss.maxParts = this.maxParts;
    const state: DeviceState = {
      keys: new LinkKeyset(kic, kid, raw.keyIndex),
      reassembler: new Reassembler(rs),
      segmenter: new Segmenter(ss),
      nextRef: Math.floor(Math.random() * 256),
      pending: [],
      answered: new AnsweredCommands(),
      answer: null,
      accepted: 0,
    };
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
    dev.keys.wipe();
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
