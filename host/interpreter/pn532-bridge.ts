/**
 * The host end of the stand-in PN532 (standin-protocol.ts): owns the two FIFOs, answers each
 * transfer from the interpreter with the byte-exact chip model (../emulator/virtual-pn532.ts) and
 * reports every call, with the interpreter's own timing and memory figures, to its listeners
 * (firmware-meter.ts).
 */
import { EventEmitter } from 'node:events';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { ANSWER, RequestParser, type StandInRequest } from './standin-protocol';
import type { VirtualPn532 } from '../emulator/virtual-pn532';

/** One stand-in call as the host answered it. */
export interface StandInCall {
  request: StandInRequest;
  /** The bytes a successful read returned (status byte first, as the chip sends them). */
  read: Uint8Array | null;
  /** The chip did not answer (absent, or held in reset): the stand-in threw. */
  noAck: boolean;
}

export type Pn532BridgeEvents = {
  call: [call: StandInCall];
  /** The request stream broke (a bug in the stand-in or a dead interpreter). */
  error: [err: Error];
};

export class Pn532Bridge extends EventEmitter<Pn532BridgeEvents> {
  readonly requestFifo: string;
  readonly answerFifo: string;
  private readonly chip: VirtualPn532;
  private requests: net.Socket | null = null;
  private answers: net.Socket | null = null;

  constructor(chip: VirtualPn532, requestFifo: string, answerFifo: string) {
    super();
    this.chip = chip;
    this.requestFifo = requestFifo;
    this.answerFifo = answerFifo;
  }

  /**
   * Makes fresh FIFOs (nothing a killed interpreter left half-written survives) and opens both
   * ends read-write, so the interpreter's fopen never waits for the host.
   */
  open(): void {
    this.close();
    const parser = new RequestParser();
    const requests = new net.Socket({ fd: freshFifo(this.requestFifo), readable: true, writable: false });
    const answers = new net.Socket({ fd: freshFifo(this.answerFifo), readable: false, writable: true });
    requests.on('data', (chunk: Buffer) => {
      let batch: StandInRequest[];
      try {
        batch = parser.push(chunk);
      } catch (err) {
        this.emit('error', err as Error);
        return;
      }
      for (const request of batch) answers.write(this.answer(request));
    });
    requests.on('error', (err) => this.emit('error', err));
    answers.on('error', (err) => this.emit('error', err));
    this.requests = requests;
    this.answers = answers;
  }

  close(): void {
    this.requests?.destroy();
    this.answers?.destroy();
    this.requests = null;
    this.answers = null;
  }

  private answer(request: StandInRequest): Uint8Array {
    const call: StandInCall = { request, read: null, noAck: false };
    let answer: Uint8Array;
    try {
      if (request.op !== 'pin' && request.address !== this.chip.address) throw new Error('no device at this address');
      if (request.op === 'write') {
        this.chip.write(request.data);
        answer = Uint8Array.of(ANSWER.OK);
      } else if (request.op === 'read') {
        call.read = this.chip.read(request.length);
        answer = new Uint8Array(1 + request.length);
        answer.set(call.read, 1);
      } else {
        this.chip.setResetLine(request.high);
        answer = Uint8Array.of(ANSWER.OK);
      }
    } catch {
      // no device at the address, or the chip is absent or held in reset (I2cNoAckError)
      call.noAck = true;
      answer = Uint8Array.of(ANSWER.NO_ACK);
    }
    this.emit('call', call);
    return answer;
  }
}

/** mkfifo (coreutils; Node has no API for it) at a path cleared first; returns an O_RDWR fd. */
function freshFifo(file: string): number {
  fs.rmSync(file, { force: true });
  execFileSync('mkfifo', ['-m', '600', file]);
  return fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
}
