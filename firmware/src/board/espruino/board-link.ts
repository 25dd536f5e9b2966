/**
 * The board's end of the platform link (docs/link.md; the same job as host/terminal/device-link.ts,
 * in Espruino's terms: no promises, no Map, buffers made once). Frames from the broker are
 * reassembled; command packets from the platform are opened with the device's key set and down
 * counter and handed to the one device application, the MCU's relay (TAR_MCU_RELAY), whose answer
 * goes back in a secured PoR; request() seals data for a platform TAR under the next up counter
 * and calls back with the platform's PoR. A refused packet reaches no handler and changes no counter.
 */
import { CommandHeader, CommandOpener, SPI1_LINK, SPI2_POR_SECURED, sealCommand } from '../../core/link/command-packet';
import { CNTR_LEN, type CounterStore, takeNextCounter } from '../../core/link/counter';
import type { LinkKeyset } from '../../core/link/keyset';
import { POR } from '../../core/link/por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings, isReassemblyRejection } from '../../core/link/reassembler';
import { RESPONSE, ResponseOpener, sealClearResponse, sealResponse } from '../../core/link/response-packet';
import { SEGMENT_TOO_LONG, Segmenter, SegmenterSettings } from '../../core/link/segmenter';
import { POR_ALWAYS, POR_ON_ERROR } from '../../core/link/spi';
import { PACKET_COMMAND, PACKET_RESPONSE } from '../../core/link/udh';
import { equalBytes } from '../../core/bytes';

/** Answers one command for the routed TAR: data[off, off + len) in, answer length into `answer` out. */
export type CommandHandler = (data: Uint8Array, off: number, len: number, answer: Uint8Array) => number;
/** The platform's PoR for a request: status, whether it verified, and its data. */
export type PorCallback = (status: number, verified: boolean, data: Uint8Array, off: number, len: number) => void;

/** Packets of up to MAX_PARTS frames (docs/link.md "Frames": default 8). */
const MAX_PARTS = 8;

export class BoardLink {
  /** Packets and frames, for status(). */
  commandsIn = 0;
  requestsOut = 0;
  refused = 0;
  private readonly reassembler: Reassembler;
  private readonly segmenter: Segmenter;
  private readonly commandOpener: CommandOpener;
  private readonly responseOpener: ResponseOpener;
  private readonly out: Uint8Array;
  private readonly answer: Uint8Array;
  private readonly header = new CommandHeader();
  private readonly pendingCntr = new Uint8Array(CNTR_LEN);
  private readonly scratch = new Uint8Array(CNTR_LEN);
  private pendingTar = -1;
  private pendingDone: PorCallback | null = null;
  private nextRef = 0;

  constructor(
    private readonly keys: LinkKeyset,
    private readonly up: CounterStore,
    private readonly down: CounterStore,
    private readonly routeTar: number,
    private readonly handler: CommandHandler,
    answerMax: number,
    frameSize: number,
    private readonly send: (frame: Uint8Array) => void,
  ) {
    const rs = new ReassemblerSettings();
    rs.frameSize = frameSize;
    rs.maxParts = MAX_PARTS;
    this.reassembler = new Reassembler(rs);
    const ss = new SegmenterSettings();
    ss.frameSize = frameSize;
    ss.maxParts = MAX_PARTS;
    this.segmenter = new Segmenter(ss);
    const maxPacket = frameSize * MAX_PARTS;
    this.commandOpener = new CommandOpener(maxPacket);
    this.responseOpener = new ResponseOpener(maxPacket);
    this.out = new Uint8Array(maxPacket);
    this.answer = new Uint8Array(answerMax);
    this.nextRef = Math.floor(Math.random() * 256);
  }

  /** True while a request waits for its PoR. */
  get busy(): boolean {
    return this.pendingDone !== null;
  }

  /** One frame from the broker. */
  receive(frame: Uint8Array, len: number, nowSeconds: number): void {
    const r = this.reassembler;
    const code = r.push(frame, 0, len, nowSeconds);
    if (isReassemblyRejection(code)) {
      this.refused++;
      return;
    }
    if (code !== REASSEMBLY.COMPLETE) return;
    if (r.packetKind === PACKET_COMMAND) this.onCommand(r.packet, r.packetLength);
    else if (r.packetKind === PACKET_RESPONSE) this.onResponse(r.packet, r.packetLength);
  }

  /**
   * Seals data[0, len) for the platform application at tar and sends it; done gets the PoR.
   * Returns false (nothing sent) while another request is outstanding, when the up counter is
   * exhausted, or when the packet does not fit the link.
   */
  request(tar: number, data: Uint8Array, len: number, done: PorCallback): boolean {
    if (this.pendingDone !== null) return false;
    if (!takeNextCounter(this.up, this.scratch, this.pendingCntr, 0)) return false;
    const h = this.header;
    h.spi1 = SPI1_LINK;
    h.spi2 = SPI2_POR_SECURED;
    h.tar = tar;
    let n: number;
    try {
      n = sealCommand(h, this.keys, this.pendingCntr, 0, data, 0, len, this.out, 0);
    } catch (err) {
      return false;
    }
    if (!this.sendPacket(n, PACKET_COMMAND)) return false;
    this.pendingTar = tar;
    this.pendingDone = done;
    this.requestsOut++;
    return true;
  }

  /** Gives up on the outstanding request (its PoR, if it comes later, is dropped as unmatched). */
  cancel(): void {
    this.pendingDone = null;
    this.pendingTar = -1;
  }

  private onCommand(packet: Uint8Array, len: number): void {
    const o = this.commandOpener;
    const link = this;
    const status = o.open(packet, 0, len, {
      acceptsTar: (tar: number) => tar === link.routeTar,
      keys: this.keys,
      counter: this.down,
    });
    const porMode = o.spi2 & 0x03;
    if (status !== POR.OK) {
      this.refused++;
      if (porMode !== POR_ALWAYS && porMode !== POR_ON_ERROR) return;
      const n = o.authenticated
        ? sealResponse(this.keys, o.tar, o.cntr, 0, status, this.answer, 0, 0, this.out, 0)
        : sealClearResponse(o.tar, status, this.out, 0);
      this.sendPacket(n, PACKET_RESPONSE);
      return;
    }
    this.commandsIn++;
    const m = this.handler(o.data, o.dataOff, o.dataLen, this.answer);
    o.data.fill(0);
    if (porMode !== POR_ALWAYS) return;
    const n = sealResponse(this.keys, o.tar, o.cntr, 0, POR.OK, this.answer, 0, m, this.out, 0);
    this.sendPacket(n, PACKET_RESPONSE);
  }

  private onResponse(packet: Uint8Array, len: number): void {
    const o = this.responseOpener;
    const code = o.open(packet, 0, len, this.keys);
    const done = this.pendingDone;
    const matches = done !== null && o.tar === this.pendingTar;
    if (code === RESPONSE.VERIFIED && matches && equalBytes(o.cntr, 0, this.pendingCntr, 0, CNTR_LEN)) {
      this.cancel();
      done(o.status, true, o.data, o.dataOff, o.dataLen);
      o.data.fill(0);
      return;
    }
    if (code === RESPONSE.CLEAR && matches) {
      this.cancel();
      done(o.status, false, o.data, 0, 0);
      return;
    }
    this.refused++;
  }

  private sendPacket(len: number, kind: number): boolean {
    const ref = this.nextRef;
    this.nextRef = (ref + 1) & 0xff;
    if (this.segmenter.begin(this.out, 0, len, kind, ref) === SEGMENT_TOO_LONG) return false;
    for (let f = this.segmenter.next(); f !== null; f = this.segmenter.next()) this.send(f);
    return true;
  }
}
