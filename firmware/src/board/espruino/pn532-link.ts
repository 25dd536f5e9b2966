/**
 * PN532 host link over I2C (PN532 User Manual §6.2.2-§6.2.4): one command at a
 * time, as the chip requires.
 *
 *   host                          PN532
 *   write  [command frame]   ->
 *   poll   read 1 byte       <-   status, bit 0 = ready (repeat every POLL_MS)
 *   read   status + 6        <-   ACK            (NACK/garbage/none -> resend, ACK_ATTEMPTS times)
 *   poll   read 1 byte       <-   status ...
 *   read   status + frame    <-   response       (bad checksum -> NACK, the chip resends)
 *
 * Every read starts with the status byte; the chip keeps its frame until a read has taken it, so a
 * 1-byte status poll does not consume it (Adafruit and libnfc drivers rely on the same).
 * Timers are set up once: polling reuses one bound callback, writes reuse cached views of the
 * transmit buffer, so a command allocates nothing of its own. (Espruino's readFrom returns a new
 * array per read; that is the API's allocation, not ours.)
 */
import { TimerHandle, clearTimer, setTimer } from './espruino-api';
import {
  ACK_FRAME_LEN, EXTENDED_OVERHEAD, FRAME, FRAME_BUFFER_SIZE, FrameInfo, NORMAL_OVERHEAD, NORMAL_PD_MAX,
  TFI_HOST_TO_PN532, TFI_PN532_TO_HOST, decodeFrame, encodeAck, encodeFrame, encodeNack, pdOffsetFor,
} from '../../core/pn532/frame';
import { responseCodeOf } from '../../core/pn532/commands';

/** The two calls the link needs from Espruino's I2C object (I2C1 satisfies it). */
export interface I2cBus {
  writeTo(address: number, data: Uint8Array): void;
  readFrom(address: number, quantity: number): Uint8Array;
}

/** Results of a command; OK or a negative error. */
export const LINK = {
  OK: 0,
  /** No ACK after ACK_ATTEMPTS writes: the chip is not answering. */
  NO_ACK: -1,
  /** ACK came but the response did not within the command's timeout (the command was aborted). */
  TIMEOUT: -2,
  /** The response stayed unreadable after NACK_ATTEMPTS retransmissions. */
  BAD_FRAME: -3,
  /** The PN532 answered with its syntax-error frame. */
  ERROR_FRAME: -4,
  /** A valid frame that is not the response to our command (TFI or response code). */
  WRONG_RESPONSE: -5,
  /** send() while a command is running. */
  BUSY: -6,
  /** The PD cannot be framed (empty or over 264 bytes). */
  BAD_COMMAND: -7,
} as const;

export interface LinkTiming {
  /** Status polling period while an answer is due soon. */
  pollMs: number;
  /** Status polling period while waiting for the reader (TgInitAsTarget, TgGetData). */
  waitPollMs: number;
  /** How long the chip has to ACK a command (UM §6.2.2: the ACK follows within a few ms). */
  ackTimeoutMs: number;
  ackAttempts: number;
  nackAttempts: number;
}

export const DEFAULT_LINK_TIMING: LinkTiming = {
  pollMs: 2,
  waitPollMs: 5,
  ackTimeoutMs: 50,
  ackAttempts: 3,
  nackAttempts: 3,
};

/** Wait for the response without a deadline (the chip waits for a reader). */
export const NO_TIMEOUT = 0;

const PHASE_IDLE = 0;
const PHASE_WAIT_ACK = 1;
const PHASE_WAIT_RESPONSE = 2;

const STATUS_READY = 0x01;
const EMPTY = new Uint8Array(0);

function ignoreResult(_result: number): void {
  // the callback of a command that was cancelled
}

export interface LinkCounters {
  commands: number;
  resends: number;
  nacksSent: number;
  busErrors: number;
}

export class Pn532Link {
  /** Transmit buffer: write the PD at pdOffsetFor(pdLength) (core/pn532/frame), then send(). */
  readonly tx = new Uint8Array(FRAME_BUFFER_SIZE);
  /** Where the last response's PD lies in `rx`. */
  readonly info = new FrameInfo();
  /** The bytes of the last response read (status byte at 0). */
  rx: Uint8Array = EMPTY;
  readonly counters: LinkCounters = { commands: 0, resends: 0, nacksSent: 0, busErrors: 0 };
  /** Text of the last I2C exception, for status(). */
  lastBusError = '';

  private readonly bus: I2cBus;
  private readonly address: number;
  private readonly timing: LinkTiming;
  private readonly control = new Uint8Array(ACK_FRAME_LEN * 2);
  private readonly ackView: Uint8Array;
  private readonly nackView: Uint8Array;
  /** txViews[n] = tx.subarray(0, n), made on first use of each length. */
  private readonly txViews: Uint8Array[] = [];
  private phase = PHASE_IDLE;
  private frameLength = 0;
  private command = 0;
  private readLength = 0;
  private responseTimeoutMs = 0;
  private deadline = 0;
  private attempts = 0;
  private nacks = 0;
  private pollPeriod = 0;
  private timer: TimerHandle = undefined;
  private done: (result: number) => void = ignoreResult;
  /**
   * The poll timer's callback: reads the ready bit, then the ACK or the response when the chip has
   * one. One function rather than a method each for the ready bit, the deadline, the ACK and the
   * response: each costs Espruino ~4 JsVars of definitions while the firmware runs (docs/board.md,
   * memory rounds).
   */
  private readonly pollCallback = (): void => {
    this.timer = undefined;
    if (this.phase === PHASE_IDLE) return;
    let ready = false;
    try {
      ready = (this.bus.readFrom(this.address, 1)[0] & STATUS_READY) !== 0;
    } catch (err) {
      this.noteBusError(err);
    }
    if (!ready) {
      if (this.deadline === 0 || Date.now() <= this.deadline) this.schedule();
      else if (this.phase === PHASE_WAIT_ACK) this.retryOrFail();
      else {
        this.write(this.ackView); // abort the command in the chip before giving up on it
        this.finish(LINK.TIMEOUT);
      }
      return;
    }
    if (this.phase === PHASE_WAIT_ACK) {
      if (!this.read(1 + ACK_FRAME_LEN) || decodeFrame(this.rx, 1, ACK_FRAME_LEN, this.info) !== FRAME.ACK) {
        this.retryOrFail();
        return;
      }
      this.phase = PHASE_WAIT_RESPONSE;
      const t = this.responseTimeoutMs;
      this.deadline = t === NO_TIMEOUT ? 0 : Date.now() + t;
      this.pollPeriod = t === NO_TIMEOUT ? this.timing.waitPollMs : this.timing.pollMs;
      this.schedule();
      return;
    }
    const kind = this.read(this.readLength) ? decodeFrame(this.rx, 1, this.rx.length - 1, this.info) : FRAME.TRUNCATED;
    if (kind === FRAME.INFO) {
      const ok =
        this.info.tfi === TFI_PN532_TO_HOST &&
        this.info.pdLength >= 1 &&
        this.rx[this.info.pdOffset] === responseCodeOf(this.command);
      this.finish(ok ? LINK.OK : LINK.WRONG_RESPONSE);
    } else if (kind === FRAME.ERROR_FRAME) {
      this.finish(LINK.ERROR_FRAME);
    } else if (kind === FRAME.ACK) {
      this.schedule(); // a repeated ACK: the response is still to come
    } else if (this.nacks < this.timing.nackAttempts) {
      // UM §6.2.1.4: a NACK asks the PN532 to send its last response frame again.
      this.nacks++;
      this.counters.nacksSent++;
      this.write(this.nackView);
      this.schedule();
    } else {
      this.finish(LINK.BAD_FRAME);
    }
  };

  constructor(bus: I2cBus, address: number, timing: LinkTiming) {
    this.bus = bus;
    this.address = address;
    this.timing = timing;
    encodeAck(this.control, 0);
    encodeNack(this.control, ACK_FRAME_LEN);
    this.ackView = this.control.subarray(0, ACK_FRAME_LEN);
    this.nackView = this.control.subarray(ACK_FRAME_LEN, 2 * ACK_FRAME_LEN);
  }

  /**
   * Frames the PD in `tx` and runs the exchange. `responsePdMax` bounds the response read;
   * `timeoutMs` is the response deadline after the ACK (NO_TIMEOUT: wait for the reader).
   * `done` gets LINK.OK (the response PD is at info.pdOffset in rx) or a negative LINK code.
   */
  send(pdLength: number, responsePdMax: number, timeoutMs: number, done: (result: number) => void): void {
    if (this.phase !== PHASE_IDLE) {
      done(LINK.BUSY);
      return;
    }
    const n = encodeFrame(this.tx, TFI_HOST_TO_PN532, pdLength);
    if (n < 0) {
      done(LINK.BAD_COMMAND);
      return;
    }
    this.counters.commands++;
    this.frameLength = n;
    this.command = this.tx[pdOffsetFor(pdLength)];
    this.readLength = 1 + responsePdMax + (responsePdMax > NORMAL_PD_MAX ? EXTENDED_OVERHEAD : NORMAL_OVERHEAD);
    this.responseTimeoutMs = timeoutMs;
    this.attempts = 0;
    this.nacks = 0;
    this.done = done;
    this.writeCommand();
  }

  /**
   * Drops the running command: an ACK frame from the host makes the PN532 abort it (UM §6.2.1.3;
   * libnfc pn532_i2c_abort_command). The command's callback is not called.
   */
  abort(): void {
    if (this.phase === PHASE_IDLE) return;
    this.cancel();
    this.write(this.ackView);
  }

  /** Forgets the running command without touching the bus (the chip is being reset). */
  cancel(): void {
    if (this.timer !== undefined) clearTimer(this.timer);
    this.timer = undefined;
    this.phase = PHASE_IDLE;
    this.done = ignoreResult;
  }

  private writeCommand(): void {
    this.attempts++;
    this.phase = PHASE_WAIT_ACK;
    this.deadline = Date.now() + this.timing.ackTimeoutMs;
    this.pollPeriod = this.timing.pollMs;
    // txViews[n] = tx.subarray(0, n), made on first use of each length
    let v = this.txViews[this.frameLength];
    if (v === undefined) {
      v = this.tx.subarray(0, this.frameLength);
      this.txViews[this.frameLength] = v;
    }
    this.write(v);
    this.schedule();
  }

  private write(data: Uint8Array): void {
    try {
      this.bus.writeTo(this.address, data);
    } catch (err) {
      this.noteBusError(err);
    }
  }

  private noteBusError(err: unknown): void {
    this.counters.busErrors++;
    this.lastBusError = String(err);
  }

  private schedule(): void {
    this.timer = setTimer(this.pollPeriod, this.pollCallback);
  }

  private read(length: number): boolean {
    try {
      this.rx = this.bus.readFrom(this.address, length);
      return true;
    } catch (err) {
      this.noteBusError(err);
      return false;
    }
  }

  private retryOrFail(): void {
    if (this.attempts < this.timing.ackAttempts) {
      this.counters.resends++;
      this.writeCommand();
    } else {
      this.finish(LINK.NO_ACK);
    }
  }

  private finish(result: number): void {
    const done = this.done;
    this.cancel();
    done(result);
  }
}
