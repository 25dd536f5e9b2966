/**
 * The device's end of the platform link (docs/link.md; the mirror of
 * platform-server/src/link/platform-link.ts), sans-I/O and allocation-free: frames go in through
 * receive() and out through the sink. Command packets from the platform are reassembled, opened with
 * the device's key set and down counter (TS 102 225 §5.1) and handed to the one device application
 * (the MCU), whose answer goes back in a secured PoR; request() seals data for a platform TAR under
 * the next up counter, one request at a time, and the application gets the platform's PoR. A
 * refused packet reaches no application and changes no counter; the sink is told why.
 *
 * Copies (MQTT QoS 1 redelivery, a repeat on the path) are recognised, not refused: a copy of the
 * last command gets the PoR the first got, from the answer kept in `answer`, a copy of an earlier
 * one is dropped (answered-command.ts), and so is a PoR of an earlier request (only the platform can
 * seal one, so it is a copy). None counts as refused.
 */
import { fill } from '../bytes';
import { AnsweredCommands, COPY_OF_LAST, NOT_A_COPY } from './answered-command';
import { CommandHeader, CommandOpener, sealCommand } from './command-packet';
import { CNTR_LEN, type CounterStore, compareCounter, takeNextCounter } from './counter';
import type { LinkKeyset } from './keyset';
import { POR } from './por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings, isReassemblyRejection } from './reassembler';
import { RESPONSE, ResponseOpener, sealClearResponse, sealResponse } from './response-packet';
import { SEGMENT_TOO_LONG, Segmenter, SegmenterSettings } from './segmenter';
import { POR_ALWAYS, POR_ON_ERROR } from './spi';
import { COPY_OF_POR, LINK_COMMAND_REFUSED, LINK_COPY, LINK_FRAME_REFUSED, LINK_POR_REFUSED } from './link-notes';
import { PACKET_COMMAND, PACKET_RESPONSE } from './udh';

/** The application behind the device's TAR. */
export interface LinkApp {
  /** One command for the device TAR: data[off, off + len) in, the PoR data written to answer; returns its length. */
  command(data: Uint8Array, off: number, len: number, answer: Uint8Array): number;
  /** The platform's PoR for the outstanding request: status, whether it verified, its data. */
  por(status: number, verified: boolean, data: Uint8Array, off: number, len: number): void;
}

/** Where frames go (the broker connection) and who hears about refusals. */
export interface LinkSink {
  /** One frame to publish; a view valid until the next call (copy it to keep it). */
  sendFrame(frame: Uint8Array): void;
  tell(note: number, value: number, text: string): void;
}

/** Packets of up to MAX_PARTS frames (docs/link.md "Frames": default 8). */
const MAX_PARTS = 8;
/**
 * Reassemblies open at once (each holds MAX_PARTS frames of RAM): the broker delivers one sender's
 * frames in order (MQTT 5.0 §4.6), so a packet's frames arrive together; the second slot lets a
 * response to the device's one outstanding request overlap a platform command.
 */
const MAX_REASSEMBLIES = 2;

export class DeviceLink {
  /** Packets refused since start, for status displays. */
  refused = 0;
  private readonly reassembler: Reassembler;
  private readonly segmenter: Segmenter;
  private readonly commandOpener: CommandOpener;
  private readonly responseOpener: ResponseOpener;
  private readonly out: Uint8Array;
  /** The answer to the last command accepted, kept for its copies until the next one. */
  private readonly answer: Uint8Array;
  private answerLen = 0;
  private readonly answered = new AnsweredCommands();
  private readonly header = new CommandHeader();
  private readonly pendingCntr = new Uint8Array(CNTR_LEN);
  private readonly scratch = new Uint8Array(CNTR_LEN);
  private pendingTar = -1;
  private nextRef: number;

  /**
   * keys: the device's link key set; up: the last counter sent; counter: the highest accepted
   * from the platform (with keys and acceptsTar, the CommandSecurity commands are opened under).
   */
  constructor(
    readonly keys: LinkKeyset,
    private readonly up: CounterStore,
    readonly counter: CounterStore,
    private readonly deviceTar: number,
    private readonly app: LinkApp,
    private readonly sink: LinkSink,
    answerMax: number,
    frameSize: number,
    firstRef: number,
  ) {
    const rs = new ReassemblerSettings();
    rs.frameSize = frameSize;
    rs.maxParts = MAX_PARTS;
    rs.maxConcurrent = MAX_REASSEMBLIES;
    this.reassembler = new Reassembler(rs);
    const ss = new SegmenterSettings();
    ss.frameSize = frameSize;
    ss.maxParts = MAX_PARTS;
    this.segmenter = new Segmenter(ss);
    const maxPacket = frameSize * MAX_PARTS;
    // A command and a PoR are opened, used and wiped within one receive(): one buffer serves both.
    const opened = new Uint8Array(maxPacket);
    this.commandOpener = new CommandOpener(maxPacket, opened);
    this.responseOpener = new ResponseOpener(maxPacket, opened);
    this.out = new Uint8Array(maxPacket);
    this.answer = new Uint8Array(answerMax);
    this.nextRef = firstRef & 0xff;
  }

  /** One frame from the broker; nowSeconds ages out partial packets. */
  receive(frame: Uint8Array, len: number, nowSeconds: number): void {
    const r = this.reassembler;
    const code = r.push(frame, 0, len, nowSeconds);
    if (isReassemblyRejection(code)) {
      this.refuse(LINK_FRAME_REFUSED, code);
      return;
    }
    if (code !== REASSEMBLY.COMPLETE) return;
    if (r.packetKind === PACKET_COMMAND) this.onCommand(r.packet, r.packetLength);
    else if (r.packetKind === PACKET_RESPONSE) this.onResponse(r.packet, r.packetLength);
  }

  /**
   * Seals data[off, off + len) for the platform application at tar and sends it; the app gets the
   * PoR. Returns false (nothing sent) while another request is outstanding, when the up counter
   * is exhausted, or when the packet does not fit the link.
   */
  request(tar: number, data: Uint8Array, off: number, len: number): boolean {
    if (this.pendingTar >= 0 || !takeNextCounter(this.up, this.scratch, this.pendingCntr, 0)) return false;
    this.header.tar = tar;
    let n: number;
    try {
      n = sealCommand(this.header, this.keys, this.pendingCntr, 0, data, off, len, this.out, 0);
    } catch (err) {
      return false;
    }
    if (!this.sendPacket(n, PACKET_COMMAND)) return false;
    this.pendingTar = tar;
    return true;
  }

  /** Gives up on the outstanding request (its PoR, if it comes later, is refused as unmatched). */
  cancel(): void {
    this.pendingTar = -1;
  }

  private onCommand(packet: Uint8Array, len: number): void {
    const o = this.commandOpener;
    const status = o.open(packet, 0, len, this);
    const porMode = o.spi2 & 0x03;
    const copyOf = this.answered.copyOf(o, status);
    if (copyOf !== NOT_A_COPY) {
      this.sink.tell(LINK_COPY, copyOf, '');
      if (copyOf === COPY_OF_LAST && porMode === POR_ALWAYS) this.sendPor(this.answerLen);
      return;
    }
    if (status !== POR.OK) {
      this.refuse(LINK_COMMAND_REFUSED, status);
      if (porMode !== POR_ALWAYS && porMode !== POR_ON_ERROR) return;
      const n = o.authenticated
        ? sealResponse(this.keys, o.tar, o.cntr, 0, status, this.answer, 0, 0, this.out, 0)
        : sealClearResponse(o.tar, status, this.out, 0);
      this.sendPacket(n, PACKET_RESPONSE);
      return;
    }
    this.answered.accept(o);
    this.answerLen = this.app.command(o.data, o.dataOff, o.dataLen, this.answer);
    fill(o.data, 0, len, 0);
    if (porMode === POR_ALWAYS) this.sendPor(this.answerLen);
  }

  /** The PoR of the last command accepted, carrying answer[0, len). */
  private sendPor(len: number): void {
    const a = this.answered;
    this.sendPacket(sealResponse(this.keys, a.tar, a.cntr, 0, POR.OK, this.answer, 0, len, this.out, 0), PACKET_RESPONSE);
  }

  /** Commands are for the one device application. */
  acceptsTar(tar: number): boolean {
    return tar === this.deviceTar;
  }

  private onResponse(packet: Uint8Array, len: number): void {
    const o = this.responseOpener;
    const code = o.open(packet, 0, len, this.keys);
    const matches = o.tar === this.pendingTar;
    if (code === RESPONSE.VERIFIED) {
      const age = compareCounter(o.cntr, 0, this.pendingCntr, 0);
      if (matches && age === 0) {
        this.cancel();
        this.app.por(o.status, true, o.data, o.dataOff, o.dataLen);
        fill(o.data, 0, len, 0);
        return;
      }
      fill(o.data, 0, len, 0);
      if (age <= 0) {
        // A PoR of a request settled or given up: a copy, it changes nothing.
        this.sink.tell(LINK_COPY, COPY_OF_POR, '');
        return;
      }
    }
    if (code === RESPONSE.CLEAR && matches) {
      this.cancel();
      this.app.por(o.status, false, o.data, 0, 0);
      return;
    }
    this.refuse(LINK_POR_REFUSED, code);
  }

  private refuse(note: number, code: number): void {
    this.refused++;
    this.sink.tell(note, code, '');
  }

  private sendPacket(len: number, kind: number): boolean {
    const ref = this.nextRef;
    this.nextRef = (ref + 1) & 0xff;
    if (this.segmenter.begin(this.out, 0, len, kind, ref) === SEGMENT_TOO_LONG) return false;
    for (let f = this.segmenter.next(); f !== null; f = this.segmenter.next()) this.sink.sendFrame(f);
    return true;
  }
}
