/**
 * One end of the platform link (docs/link.md), sans-I/O and allocation-free: the device's MCU
 * (core/mcu/mcu.ts, in the board and in `tapcard terminal`) has one, the platform one per device
 * (platform-server/src/link/platform-link.ts). Frames go in through receive() and out through the
 * sink; the caller owns the transport, the clock and what the packets mean.
 *
 *   receive(frame, len, now)   a frame from the peer. Returns
 *     RECEIVED_COMMAND   a new command (TS 102 225 §5.1) opened under the key set and the receive
 *                        counter: command.tar, command.cntr, command.data[dataOff, +dataLen). The
 *                        caller answers it with answer(), now or later.
 *     RECEIVED_POR       a PoR (§5.2) for a command this end sent: por.tar, por.status,
 *                        por.data[dataOff, +dataLen); porVerified false for a clear PoR (a
 *                        refusal, no counter). A verified PoR's counter (por.cntr) is at most the
 *                        last one sent; the caller matches it to its request.
 *     RECEIVED_NOTHING   a part of a packet, a copy of a command already handled (answered again
 *                        or dropped: answered-command.ts), or a refusal; the sink is told which.
 *   answer(tar, cntr, cntrOff, porMode, data, off, len)   the secured PoR of a command
 *   request(tar, data, off, len)   a command for the peer under the next send counter
 *
 * A refused packet reaches no caller and changes no counter. Plaintext stays in the openers'
 * buffer, which is also the reassembled and the outgoing packet's, until forget(), the next
 * receive(), answer() or request().
 */
import { copy, fill } from '../bytes';
import { AnsweredCommands, COPY_OF_LAST, NOT_A_COPY } from './answered-command';
import { CommandHeader, CommandOpener, type CommandSecurity, commandDataMax, sealCommand } from './command-packet';
import { CNTR_LEN, type CounterStore, compareCounter, takeNextCounter } from './counter';
import type { LinkKeyset } from './keyset';
import { LINK_COMMAND_REFUSED, LINK_COPY, LINK_FRAME_REFUSED, LINK_POR_REFUSED } from './link-notes';
import { POR } from './por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings, isReassemblyRejection } from './reassembler';
import { RESPONSE, ResponseOpener, sealClearResponse, sealResponse } from './response-packet';
import { SEGMENT_TOO_LONG, Segmenter, SegmenterSettings } from './segmenter';
import { POR_ALWAYS, POR_ON_ERROR } from './spi';
import { PACKET_COMMAND, PACKET_RESPONSE } from './udh';

export const RECEIVED_NOTHING = 0;
export const RECEIVED_COMMAND = 1;
export const RECEIVED_POR = 2;

/** request() results. */
export const REQUEST_SENT = 0;
export const REQUEST_COUNTER_EXHAUSTED = 1;
export const REQUEST_TOO_LONG = 2;

/** Where frames go (the broker connection) and who hears what the endpoint did on its own. */
export interface LinkSink {
  /**
   * One frame to send; a view valid until the next call (copy it to keep it). Frames are queued
   * or sent, never fed back into this endpoint's receive() before the call returns: the packet
   * being sent shares its buffer with the one being reassembled.
   */
  sendFrame(frame: Uint8Array): void;
  /** link-notes.ts: refusals (value: the reassembly, PoR status or RESPONSE code) and copies. */
  tell(note: number, value: number, text: string): void;
}

/** Which TARs this end runs an application for (others are refused with 09 TAR unknown). */
export interface TarFilter {
  acceptsTar(tar: number): boolean;
}

export class LinkEndpoint implements CommandSecurity {
  /** Packets refused since start, for status displays. */
  refused = 0;
  /** The last command received (valid after RECEIVED_COMMAND). */
  readonly command: CommandOpener;
  /** The last PoR received (valid after RECEIVED_POR). */
  readonly por: ResponseOpener;
  porVerified = false;
  /** The answer to the last command, kept for its copies; a caller may build its answer here. */
  readonly answerData: Uint8Array;
  /** The most data one request() carries: what a command packet of maxParts frames holds. */
  readonly requestDataMax: number;
  /** The counter of the last command sent (what a verified PoR may echo at most). */
  readonly sentCntr = new Uint8Array(CNTR_LEN);
  private readonly reassembler: Reassembler;
  private readonly segmenter: Segmenter;
  private readonly out: Uint8Array;
  private readonly header = new CommandHeader();
  private readonly scratch = new Uint8Array(CNTR_LEN);
  private readonly answered = new AnsweredCommands();
  /** Length of the last command's answer; -1 until answer() gave it one. */
  private answerLen = -1;
  /** Octets of plaintext in the openers' buffers. */
  private commandLen = 0;
  private porLen = 0;
  private nextRef: number;

  /**
   * keys: the link key set; send: the last counter sent; counter: the highest accepted from the
   * peer (with keys and acceptsTar, the CommandSecurity commands are opened under); reassemblies:
   * packets reassembled at once, each holding maxParts frames of RAM.
   */
  constructor(
    readonly keys: LinkKeyset,
    private readonly send: CounterStore,
    readonly counter: CounterStore,
    private readonly tars: TarFilter,
    private readonly sink: LinkSink,
    answerMax: number,
    frameSize: number,
    maxParts: number,
    reassemblies: number,
    firstRef: number,
  ) {
    const rs = new ReassemblerSettings();
    rs.frameSize = frameSize;
    rs.maxParts = maxParts;
    rs.maxConcurrent = reassemblies;
    const maxPacket = frameSize * maxParts;
    // A reassembled packet is opened into the openers' buffer before anything is sent, and a
    // packet is sent whole before the next frame is taken: the two share one buffer.
    this.out = new Uint8Array(maxPacket);
    this.reassembler = new Reassembler(rs, this.out);
    const ss = new SegmenterSettings();
    ss.frameSize = frameSize;
    ss.maxParts = maxParts;
    this.segmenter = new Segmenter(ss);
    this.requestDataMax = commandDataMax(this.segmenter.packetMax());
    // One receive() opens one packet, and its plaintext is used and wiped before the next: the
    // command and the PoR openers share one buffer, and it is the packet's own (CBC deciphered in
    // place, last block first: crypto/cbc.ts). Nothing is sealed into it before the caller is done
    // with the plaintext: an answer or a request is sealed from other buffers (answerData, the
    // caller's) after the opened command or PoR was used.
    this.command = new CommandOpener(maxPacket, this.out);
    this.por = new ResponseOpener(maxPacket, this.out);
    this.answerData = new Uint8Array(answerMax);
    this.nextRef = firstRef & 0xff;
    send.read(this.sentCntr, 0);
  }

  acceptsTar(tar: number): boolean {
    return this.tars.acceptsTar(tar);
  }

  /** One frame from the peer; nowSeconds ages out partial packets. Returns RECEIVED_*. */
  receive(frame: Uint8Array, len: number, nowSeconds: number): number {
    this.forget();
    const r = this.reassembler;
    const code = r.push(frame, 0, len, nowSeconds);
    if (isReassemblyRejection(code)) return this.refuse(LINK_FRAME_REFUSED, code);
    if (code !== REASSEMBLY.COMPLETE) return RECEIVED_NOTHING;
    const packet = r.packet;
    const plen = r.packetLength;
    // The command and the PoR written out here, their one caller: a method costs Espruino ~4
    // JsVars of definitions while the firmware runs.
    if (r.packetKind === PACKET_COMMAND) {
      const o = this.command;
      const status = o.open(packet, 0, plen, this);
      const porMode = o.spi2 & 0x03;
      const copyOf = this.answered.copyOf(o, status);
      if (copyOf !== NOT_A_COPY) {
        this.sink.tell(LINK_COPY, copyOf, '');
        if (copyOf === COPY_OF_LAST && this.answerLen >= 0) this.answer(o.tar, o.cntr, 0, porMode, this.answerData, 0, this.answerLen);
        return RECEIVED_NOTHING;
      }
      if (status !== POR.OK) {
        this.refuse(LINK_COMMAND_REFUSED, status);
        if (porMode !== POR_ALWAYS && porMode !== POR_ON_ERROR) return RECEIVED_NOTHING;
        const n = o.authenticated
          ? sealResponse(this.keys, o.tar, o.cntr, 0, status, this.answerData, 0, 0, this.out, 0)
          : sealClearResponse(o.tar, status, this.out, 0);
        this.sendPacket(n, PACKET_RESPONSE);
        return RECEIVED_NOTHING;
      }
      this.answered.accept(o);
      this.answerLen = -1;
      this.commandLen = plen;
      return RECEIVED_COMMAND;
    }
    if (r.packetKind === PACKET_RESPONSE) {
      const o = this.por;
      const pc = o.open(packet, 0, plen, this.keys);
      this.porVerified = pc === RESPONSE.VERIFIED;
      if (this.porVerified) this.porLen = plen;
      if (pc === RESPONSE.CLEAR || (this.porVerified && compareCounter(o.cntr, 0, this.sentCntr, 0) <= 0)) return RECEIVED_POR;
      return this.refuse(LINK_POR_REFUSED, pc);
    }
    return RECEIVED_NOTHING;
  }

  /** Wipes the plaintext of the last command and PoR received. */
  forget(): void {
    fill(this.command.data, 0, this.commandLen, 0);
    fill(this.por.data, 0, this.porLen, 0);
    this.commandLen = 0;
    this.porLen = 0;
  }

  /**
   * Sends the secured PoR (status OK) of the command with TAR tar and counter cntr[cntrOff..],
   * carrying data[off, off + len), if its SPI asked for one (porMode: command.spi2 & 3). The
   * answer to the last command received is kept in answerData: a copy of it gets the same PoR.
   */
  answer(tar: number, cntr: Uint8Array, cntrOff: number, porMode: number, data: Uint8Array, off: number, len: number): void {
    const a = this.answered;
    if (a.tar === tar && compareCounter(cntr, cntrOff, a.cntr, 0) === 0) {
      if (len > this.answerData.length) {
        this.answerLen = -1;
      } else {
        if (data !== this.answerData || off !== 0) copy(data, off, this.answerData, 0, len);
        this.answerLen = len;
      }
    }
    if (porMode !== POR_ALWAYS) return;
    this.sendPacket(sealResponse(this.keys, tar, cntr, cntrOff, POR.OK, data, off, len, this.out, 0), PACKET_RESPONSE);
  }

  /**
   * Seals data[off, off + len) for the peer's application at tar under the next send counter
   * (sentCntr) and sends it. REQUEST_TOO_LONG when it cannot fit the link (no counter taken),
   * REQUEST_COUNTER_EXHAUSTED when the key set must be replaced.
   */
  request(tar: number, data: Uint8Array, off: number, len: number): number {
    if (len > this.requestDataMax) return REQUEST_TOO_LONG;
    if (!takeNextCounter(this.send, this.scratch, this.sentCntr, 0)) return REQUEST_COUNTER_EXHAUSTED;
    this.header.tar = tar;
    const n = sealCommand(this.header, this.keys, this.sentCntr, 0, data, off, len, this.out, 0);
    return this.sendPacket(n, PACKET_COMMAND) ? REQUEST_SENT : REQUEST_TOO_LONG;
  }

  private refuse(note: number, code: number): number {
    this.refused = this.refused + 1;
    this.sink.tell(note, code, '');
    return RECEIVED_NOTHING;
  }

  private sendPacket(len: number, kind: number): boolean {
    const ref = this.nextRef;
    this.nextRef = (ref + 1) & 0xff;
    if (this.segmenter.begin(this.out, 0, len, kind, ref) === SEGMENT_TOO_LONG) return false;
    for (let f = this.segmenter.next(); f !== null; f = this.segmenter.next()) this.sink.sendFrame(f);
    return true;
  }
}
