/**
 * The terminal's end of the platform link (the mirror of platform-server/src/link/platform-link.ts,
 * over the same core codec firmware/src/core/link): frames from a DeviceLinkTransport are
 * reassembled, command packets from the platform opened with the device's key set and its down
 * counter and handed to the handler routed for their TAR, whose answer travels back in a secured
 * PoR; request() seals data for a platform TAR under the next up counter and resolves with the
 * platform's PoR. A refused packet (replayed, truncated, reordered into garbage, tampered) reaches
 * no handler and changes no counter. Logs carry TARs, sizes and status codes, never contents or keys.
 */
import { performance } from 'node:perf_hooks';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { CommandOpener } from '../../firmware/src/core/link/command-packet';
import type { CounterStore } from '../../firmware/src/core/link/counter';
import { LinkKeyset } from '../../firmware/src/core/link/keyset';
import { POR, porText } from '../../firmware/src/core/link/por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings, isReassemblyRejection } from '../../firmware/src/core/link/reassembler';
import { RESPONSE, ResponseOpener, sealClearResponse, sealResponse } from '../../firmware/src/core/link/response-packet';
import { SEGMENT_TOO_LONG, Segmenter, SegmenterSettings } from '../../firmware/src/core/link/segmenter';
import { POR_ALWAYS, POR_ON_ERROR } from '../../firmware/src/core/link/spi';
import { PACKET_COMMAND, PACKET_RESPONSE, SMS_USER_DATA_MAX } from '../../firmware/src/core/link/udh';
import { sealLinkCommand } from '../../platform-server/src/link/seal-link-command';
import type { DeviceLinkTransport } from '../../platform-server/src/mqtt/link-transport';

export type TerminalLog = (event: string, detail?: Record<string, unknown>) => void;
export type CommandHandler = (data: Uint8Array) => Promise<Uint8Array> | Uint8Array;

export interface DeviceLinkOptions {
  transport: DeviceLinkTransport;
  keyIndex: number;
  /** Raw link keys; the link keys its ciphers and wipes these arrays. */
  kic: Uint8Array;
  kid: Uint8Array;
  counters: { up: CounterStore; down: CounterStore };
  log: TerminalLog;
  frameSize?: number;
  maxParts?: number;
}

export interface DevicePor {
  status: number;
  data: Uint8Array;
  verified: boolean;
}

export class DeviceLinkError extends Error {
  constructor(
    message: string,
    readonly code: 'POR_TIMEOUT' | 'PACKET_TOO_LONG' | 'COUNTER_EXHAUSTED' | 'CLOSED',
  ) {
    super(message);
  }
}

interface Pending {
  tar: number;
  cntr: string;
  resolve(r: DevicePor): void;
  timer: NodeJS.Timeout;
  reject(e: Error): void;
}

const MAX_PARTS_DEFAULT = 8;

export class DeviceLink {
  private readonly routes = new Map<number, CommandHandler>();
  private readonly keys: LinkKeyset;
  private readonly reassembler: Reassembler;
  private readonly segmenter: Segmenter;
  private readonly commandOpener: CommandOpener;
  private readonly responseOpener: ResponseOpener;
  private readonly maxPacket: number;
  private readonly pending: Pending[] = [];
  private nextRef = Math.floor(Math.random() * 256);
  private closed = false;
  /** Packets refused since start (reassembly or security), for status displays and tests. */
  refused = 0;

  constructor(private readonly opts: DeviceLinkOptions) {
    const frameSize = opts.frameSize ?? SMS_USER_DATA_MAX;
    const maxParts = opts.maxParts ?? MAX_PARTS_DEFAULT;
    this.maxPacket = frameSize * maxParts;
    const kic = new SoftAes();
    const kid = new SoftAes();
    try {
      kic.setKey(opts.kic, 0, opts.kic.length);
      kid.setKey(opts.kid, 0, opts.kid.length);
    } finally {
      opts.kic.fill(0);
      opts.kid.fill(0);
    }
    this.keys = new LinkKeyset(kic, kid, opts.keyIndex);
    const rs = new ReassemblerSettings();
    rs.frameSize = frameSize;
    rs.maxParts = maxParts;
    this.reassembler = new Reassembler(rs);
    const ss = new SegmenterSettings();
    ss.frameSize = frameSize;
    ss.maxParts = maxParts;
    this.segmenter = new Segmenter(ss);
    this.commandOpener = new CommandOpener(this.maxPacket);
    this.responseOpener = new ResponseOpener(this.maxPacket);
    opts.transport.onFrame((frame) => this.onFrame(frame));
  }

  route(tar: number, handler: CommandHandler): void {
    this.routes.set(tar, handler);
  }

  /** Sends data to the platform application at tar and resolves with its PoR. */
  async request(tar: number, data: Uint8Array, timeoutMs = 30_000): Promise<DevicePor> {
    if (this.closed) throw new DeviceLinkError('link closed', 'CLOSED');
    const sealed = sealLinkCommand(this.keys, this.opts.counters.up, tar, data, this.maxPacket);
    if (!sealed.ok) {
      throw sealed.error === 'COUNTER_EXHAUSTED'
        ? new DeviceLinkError('up counter exhausted, a new key set is needed', 'COUNTER_EXHAUSTED')
        : new DeviceLinkError(`request of ${data.length} octets does not fit the link`, 'PACKET_TOO_LONG');
    }
    const { packet, len } = sealed;
    const por = new Promise<DevicePor>((resolve, reject) => {
      const entry: Pending = {
        tar,
        cntr: sealed.cntrHex,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.drop(entry);
          reject(new DeviceLinkError(`no PoR for TAR ${tarHex(tar)} within ${timeoutMs} ms`, 'POR_TIMEOUT'));
        }, timeoutMs),
      };
      this.pending.push(entry);
    });
    por.catch(() => {});
    await this.sendPacket(packet, len, PACKET_COMMAND);
    this.opts.log('link.request.sent', { tar: tarHex(tar), octets: len });
    return por;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new DeviceLinkError('link closed', 'CLOSED'));
    }
    this.keys.wipe();
    await this.opts.transport.close();
  }

  private onFrame(frame: Uint8Array): void {
    if (this.closed) return;
    const r = this.reassembler;
    const code = r.push(frame, 0, frame.length, Math.floor(performance.now() / 1000));
    if (isReassemblyRejection(code)) {
      this.refused++;
      this.opts.log('link.frame.refused', { code, octets: frame.length });
      return;
    }
    if (code !== REASSEMBLY.COMPLETE) return;
    const packet = r.packet.slice(0, r.packetLength);
    if (r.packetKind === PACKET_COMMAND) {
      this.onCommand(packet).catch((err: Error) => this.opts.log('link.command.failed', { error: err.message }));
    } else if (r.packetKind === PACKET_RESPONSE) {
      this.onResponse(packet);
    }
  }

  private async onCommand(packet: Uint8Array): Promise<void> {
    const o = this.commandOpener;
    const status = o.open(packet, 0, packet.length, { acceptsTar: (tar) => this.routes.has(tar), keys: this.keys, counter: this.opts.counters.down });
    const tar = o.tar;
    const porMode = o.spi2 & 0x03;
    if (status !== POR.OK) {
      this.refused++;
      this.opts.log('link.command.refused', { tar: tarHex(tar), status: porText(status) });
      if (porMode !== POR_ALWAYS && porMode !== POR_ON_ERROR) return;
      const out = new Uint8Array(this.maxPacket);
      const len = o.authenticated ? sealResponse(this.keys, tar, o.cntr, 0, status, new Uint8Array(0), 0, 0, out, 0) : sealClearResponse(tar, status, out, 0);
      await this.sendPacket(out, len, PACKET_RESPONSE);
      return;
    }
    const data = o.data.slice(o.dataOff, o.dataOff + o.dataLen);
    const cntr = o.cntr.slice();
    o.data.fill(0);
    const answer = await (this.routes.get(tar) as CommandHandler)(data);
    data.fill(0);
    if (porMode !== POR_ALWAYS) return;
    const out = new Uint8Array(this.maxPacket);
    const len = sealResponse(this.keys, tar, cntr, 0, POR.OK, answer, 0, answer.length, out, 0);
    await this.sendPacket(out, len, PACKET_RESPONSE);
  }

  private onResponse(packet: Uint8Array): void {
    const o = this.responseOpener;
    const code = o.open(packet, 0, packet.length, this.keys);
    if (code === RESPONSE.VERIFIED) {
      const cntr = Buffer.from(o.cntr).toString('hex');
      const entry = this.pending.find((p) => p.tar === o.tar && p.cntr === cntr);
      if (entry === undefined) {
        this.refused++;
        this.opts.log('link.por.unmatched', { tar: tarHex(o.tar), status: porText(o.status) });
      } else {
        this.settle(entry, { status: o.status, data: o.data.slice(o.dataOff, o.dataOff + o.dataLen), verified: true });
      }
      o.data.fill(0);
      return;
    }
    if (code === RESPONSE.CLEAR) {
      const entry = this.pending.find((p) => p.tar === o.tar);
      this.opts.log('link.por.clear', { tar: tarHex(o.tar), status: porText(o.status) });
      if (entry !== undefined) this.settle(entry, { status: o.status, data: new Uint8Array(0), verified: false });
      return;
    }
    this.refused++;
    this.opts.log('link.por.refused', { code });
  }

  private settle(entry: Pending, r: DevicePor): void {
    this.drop(entry);
    clearTimeout(entry.timer);
    entry.resolve(r);
  }

  private drop(entry: Pending): void {
    const i = this.pending.indexOf(entry);
    if (i >= 0) this.pending.splice(i, 1);
  }

  private async sendPacket(packet: Uint8Array, len: number, kind: number): Promise<void> {
    const ref = this.nextRef;
    this.nextRef = (this.nextRef + 1) & 0xff;
    if (this.segmenter.begin(packet, 0, len, kind, ref) === SEGMENT_TOO_LONG) {
      throw new DeviceLinkError(`packet of ${len} octets does not fit the link`, 'PACKET_TOO_LONG');
    }
    const frames: Uint8Array[] = [];
    for (let f = this.segmenter.next(); f !== null; f = this.segmenter.next()) frames.push(f.slice());
    for (const f of frames) await this.opts.transport.send(f);
  }
}

function tarHex(tar: number): string {
  return tar.toString(16).padStart(6, '0');
}
