/**
 * A device's end of the link for tests, built from the portable core codecs the MCU uses: it sends
 * requests as command packets and answers the platform's command packets with PoRs. Every frame it
 * sends is kept in `sent`, so tests can replay, truncate, reorder or tamper with them.
 */
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { CommandHeader, CommandOpener, sealCommand } from '../../firmware/src/core/link/command-packet';
import { takeNextCounter } from '../../firmware/src/core/link/counter';
import { LinkKeyset } from '../../firmware/src/core/link/keyset';
import { POR } from '../../firmware/src/core/link/por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings } from '../../firmware/src/core/link/reassembler';
import { RESPONSE, ResponseOpener, sealClearResponse, sealResponse } from '../../firmware/src/core/link/response-packet';
import { Segmenter, SegmenterSettings } from '../../firmware/src/core/link/segmenter';
import { PACKET_COMMAND, PACKET_RESPONSE } from '../../firmware/src/core/link/udh';
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { MemoryCounterStore } from '../link/_link-fixtures';

export interface Por {
  code: number;
  status: number;
  data: string;
}

export class DevicePeer {
  readonly sent: Uint8Array[] = [];
  readonly upCounter = new MemoryCounterStore();
  readonly downCounter = new MemoryCounterStore();
  readonly pors: Por[] = [];
  commandsSeen = 0;
  private readonly keys: LinkKeyset;
  private readonly rx = new Reassembler(new ReassemblerSettings());
  private readonly seg = new Segmenter(new SegmenterSettings());
  private ref = 1;
  private waiting: ((p: Por) => void)[] = [];

  constructor(
    bundle: ProvisioningBundle,
    private readonly transport: DeviceLinkTransport,
    private readonly onCommand: (tar: number, data: Uint8Array) => Uint8Array = () => Uint8Array.of(0x90, 0x00),
  ) {
    const kic = new SoftAes();
    kic.setKey(Buffer.from(bundle.link.kic, 'hex'), 0, 16);
    const kid = new SoftAes();
    kid.setKey(Buffer.from(bundle.link.kid, 'hex'), 0, 16);
    this.keys = new LinkKeyset(kic, kid, bundle.link.keyIndex);
    transport.onFrame((f) => this.receive(f));
  }

  /** Seals and sends a request; resolves with the next PoR that arrives. */
  async request(tar: number, data: Uint8Array): Promise<Por> {
    const frames = this.requestFrames(tar, data);
    const por = this.nextPor();
    for (const f of frames) await this.transport.send(f);
    return por;
  }

  /** The frames of a sealed request with the next counter, kept in `sent` but not sent (tests send them as they like). */
  requestFrames(tar: number, data: Uint8Array): Uint8Array[] {
    const cntr = new Uint8Array(5);
    takeNextCounter(this.upCounter, new Uint8Array(5), cntr, 0);
    const h = new CommandHeader();
    h.tar = tar;
    const out = new Uint8Array(1200);
    const n = sealCommand(h, this.keys, cntr, 0, data, 0, data.length, out, 0);
    return this.framesOf(out.subarray(0, n), PACKET_COMMAND);
  }

  /** Resolves with the next PoR received (for replays sent by hand). */
  nextPor(): Promise<Por> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async sendFrame(frame: Uint8Array): Promise<void> {
    await this.transport.send(frame);
  }

  private async sendPacket(packet: Uint8Array, kind: number): Promise<void> {
    for (const f of this.framesOf(packet, kind)) await this.transport.send(f);
  }

  private framesOf(packet: Uint8Array, kind: number): Uint8Array[] {
    const parts = this.seg.begin(packet, 0, packet.length, kind, this.ref++ & 0xff);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < parts; i++) frames.push(this.seg.next()!.slice());
    this.sent.push(...frames);
    return frames;
  }

  private receive(frame: Uint8Array): void {
    const code = this.rx.push(frame, 0, frame.length, 0);
    if (code !== REASSEMBLY.COMPLETE) return;
    const packet = this.rx.packet.slice(0, this.rx.packetLength);
    if (this.rx.packetKind === PACKET_RESPONSE) {
      const o = new ResponseOpener(1200);
      const rc = o.open(packet, 0, packet.length, this.keys);
      const por = { code: rc, status: o.status, data: Buffer.from(o.data.subarray(o.dataOff, o.dataOff + o.dataLen)).toString('hex') };
      this.pors.push(por);
      const w = this.waiting.shift();
      if (w !== undefined) w(por);
      return;
    }
    const o = new CommandOpener(1200);
    const status = o.open(packet, 0, packet.length, { acceptsTar: () => true, keys: this.keys, counter: this.downCounter });
    const out = new Uint8Array(1200);
    let n: number;
    if (status === POR.OK) {
      this.commandsSeen++;
      const answer = this.onCommand(o.tar, o.data.slice(o.dataOff, o.dataOff + o.dataLen));
      n = sealResponse(this.keys, o.tar, o.cntr, 0, POR.OK, answer, 0, answer.length, out, 0);
    } else {
      n = o.authenticated ? sealResponse(this.keys, o.tar, o.cntr, 0, status, out, 0, 0, out, 0) : sealClearResponse(o.tar, status, out, 0);
    }
    void this.sendPacket(out.slice(0, n), PACKET_RESPONSE);
  }
}

export { RESPONSE };
