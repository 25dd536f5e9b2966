/**
 * A PN532 on the emulated I2C bus (PN532 User Manual §6.2, §7): it speaks the real
 * host-link protocol byte for byte, so the firmware's driver runs unchanged against it.
 *
 * I2C (PN532 User Manual §6.2.4): a write is one host frame. Every read starts with the status
 * byte (01 = a frame is waiting) followed by that frame, zero-padded to the length read; a read
 * long enough to take the whole frame consumes it, a shorter one (the 1-byte status poll) does
 * not. After a command frame the chip queues an ACK, and the response once it has one.
 *
 * Only the commands the board uses are implemented; others get the syntax-error frame. The RF side
 * is a 14443-4 card in a reader's field (rf-card-link.ts): activate(), transceive(), release().
 *
 * Fault injection for driver tests: hang() (chip stops answering until a reset pulse),
 * corruptNextResponse() (wrong DCS once), dropNextAck(), stallNextResponse() (ACK, then nothing),
 * and absent (no chip on the bus).
 * Written independently of the firmware's frame codec so the two check each other.
 */
import { EventEmitter } from 'node:events';

export const PN532_ADDRESS = 0x24;
/** GetFirmwareVersion reply fields of a PN532 v1.6 (PN532 User Manual §7). */
export const FIRMWARE = { ic: 0x32, version: 0x01, revision: 0x06, support: 0x07 };
/**
 * ModeActivated for a 106 kbps ISO 14443-4 PICC activation: framing 00, baud 000, bit 3 assumed to
 * flag PICC mode (UM §7.3.14 table; not verified on hardware, the driver does not depend on it).
 */
export const MODE_ACTIVATED_PICC = 0x08;
/** The reader's RATS (ISO 14443-4 §5.6.1: FSDI 8 = 256 bytes, CID 0), given as InitiatorCommand. */
export const RATS = [0xe0, 0x80];

/** PN532 command codes this chip implements (UM §7). */
export const CMD = {
  GET_FIRMWARE_VERSION: 0x02,
  SAM_CONFIGURATION: 0x14,
  TG_INIT_AS_TARGET: 0x8c,
  TG_GET_DATA: 0x86,
  TG_SET_DATA: 0x8e,
  TG_SET_META_DATA: 0x94,
} as const;

const TFI_HOST = 0xd4;
const TFI_CHIP = 0xd5;
const DATA_OUT_MAX = 262;
const STATUS_MI = 0x40;
const STATUS_RELEASED = 0x29;
const STATUS_NOT_ACCEPTABLE = 0x27;
const ACK = [0x00, 0x00, 0xff, 0x00, 0xff, 0x00];
const SYNTAX_ERROR = [0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00];

export class I2cNoAckError extends Error {
  constructor(address: number) {
    super(`I2C: no ACK from device 0x${address.toString(16)}`);
  }
}

/** One frame on the wire, for byte-for-byte assertions. */
export interface WireFrame {
  from: 'host' | 'chip';
  bytes: Uint8Array;
}

type TargetState = 'idle' | 'armed' | 'activated';

interface PendingExchange {
  command: Uint8Array;
  resolve: (response: Uint8Array) => void;
  reject: (err: Error) => void;
  delivered: number;
  response: number[];
}

export type VirtualPn532Events = {
  /** TgInitAsTarget arrived: the chip now answers a reader as a card. */
  armed: [];
  /** The chip left target mode (reset, abort, or a new TgInitAsTarget pending). */
  disarmed: [];
  /** The chip restarted (reset pulse or power cycle): it is no card until armed again. */
  reset: [];
};

function hex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Builds a normal or extended information frame around TFI + PD (UM §6.2.1.1-§6.2.1.2). */
export function buildChipFrame(pd: number[]): Uint8Array {
  const len = pd.length + 1;
  const out: number[] = [0x00, 0x00, 0xff];
  if (len > 255) out.push(0xff, 0xff, (len >> 8) & 0xff, len & 0xff, (0x100 - (((len >> 8) + len) & 0xff)) & 0xff);
  else out.push(len, (0x100 - len) & 0xff);
  let sum = TFI_CHIP;
  out.push(TFI_CHIP);
  for (const b of pd) {
    out.push(b);
    sum += b;
  }
  out.push((0x100 - (sum & 0xff)) & 0xff, 0x00);
  return Uint8Array.from(out);
}

/** Parses one host frame; returns the PD (after TFI D4), 'ack', 'nack' or null if damaged. */
function parseHostFrame(b: Uint8Array): number[] | 'ack' | 'nack' | null {
  let p = 0;
  while (p < b.length && b[p] === 0x00) p++;
  if (p === 0 || p >= b.length || b[p] !== 0xff) return null;
  p++;
  if (b[p] === 0x00 && b[p + 1] === 0xff) return 'ack';
  if (b[p] === 0xff && b[p + 1] === 0x00) return 'nack';
  let len: number;
  if (b[p] === 0xff && b[p + 1] === 0xff) {
    len = (b[p + 2] << 8) | b[p + 3];
    if (((b[p + 2] + b[p + 3] + b[p + 4]) & 0xff) !== 0) return null;
    p += 5;
  } else {
    len = b[p];
    if (((b[p] + b[p + 1]) & 0xff) !== 0) return null;
    p += 2;
  }
  if (len < 1 || p + len + 2 > b.length) return null;
  let sum = 0;
  for (let i = 0; i <= len; i++) sum += b[p + i];
  if ((sum & 0xff) !== 0 || b[p] !== TFI_HOST || b[p + len + 1] !== 0x00) return null;
  return Array.from(b.subarray(p + 1, p + len));
}

export class VirtualPn532 extends EventEmitter<VirtualPn532Events> {
  readonly address = PN532_ADDRESS;
  /** Every frame written by the host and every frame the host read, in order. */
  readonly wire: WireFrame[] = [];
  /** When true, the chip is not on the bus: every transfer fails with I2cNoAckError. */
  absent = false;
  /** Historical bytes from the last TgInitAsTarget (for the ATR, ISO/IEC 7816-3 §8; PC/SC Part 3 §3.1.3.2.3). */
  historical: Uint8Array = new Uint8Array(0);
  resets = 0;

  private inReset = false;
  private hung = false;
  private corruptNext = false;
  private dropAck = false;
  private stall = false;
  private outbox: Uint8Array[] = [];
  private lastResponse: Uint8Array | null = null;
  /** The command code the chip is working on, or -1. */
  private running = -1;
  private target: TargetState = 'idle';
  private samConfigured = false;
  private pendingActivation = false;
  private exchange: PendingExchange | null = null;
  private readonly queued: PendingExchange[] = [];

  // ------------------------------------------------------------------ I2C side (the firmware)

  /** Host -> chip: one frame per I2C write transaction. */
  write(data: Uint8Array): void {
    this.checkOnBus();
    if (this.hung) return;
    const bytes = Uint8Array.from(data);
    this.wire.push({ from: 'host', bytes });
    const parsed = parseHostFrame(bytes);
    if (parsed === null) return; // damaged frame: the PN532 does not ACK it, the host times out
    if (parsed === 'ack') {
      this.abortCommand();
      return;
    }
    if (parsed === 'nack') {
      if (this.lastResponse !== null) this.outbox = [this.lastResponse];
      return;
    }
    this.startCommand(parsed);
  }

  /** Chip -> host: status byte, then the waiting frame, padded with 00 to `length`. */
  read(length: number): Uint8Array {
    this.checkOnBus();
    const out = new Uint8Array(length);
    if (this.hung || this.outbox.length === 0 || length < 1) return out;
    const frame = this.outbox[0];
    out[0] = 0x01;
    out.set(frame.subarray(0, Math.min(frame.length, length - 1)), 1);
    if (length - 1 >= frame.length) {
      this.outbox.shift();
      this.wire.push({ from: 'chip', bytes: frame });
    }
    return out;
  }

  /** RSTPDN: low holds the chip in reset (off the bus), the rising edge restarts it (UM §12.3). */
  setResetLine(high: boolean): void {
    if (!high) {
      if (!this.inReset) {
        this.inReset = true;
        this.resets++;
        this.powerUpState();
        this.emit('reset');
      }
    } else {
      this.inReset = false;
    }
  }

  /** The board lost power: the chip starts from scratch (not counted as a reset pulse). */
  powerCycle(): void {
    this.inReset = false;
    this.powerUpState();
    this.emit('reset');
  }

  // ------------------------------------------------------------------ fault injection

  /** The chip stops answering (no ACK, never ready) until the next reset pulse. */
  hang(): void {
    this.hung = true;
  }

  corruptNextResponse(): void {
    this.corruptNext = true;
  }

  dropNextAck(): void {
    this.dropAck = true;
  }

  /** The next command is ACKed but never answered (the host's response deadline must fire). */
  stallNextResponse(): void {
    this.stall = true;
  }

  // ------------------------------------------------------------------ RF side (the reader)

  get armed(): boolean {
    return this.target === 'armed' || this.target === 'activated';
  }

  get activated(): boolean {
    return this.target === 'activated';
  }

  /** A reader selects the card (anticollision + RATS). Completes a pending TgInitAsTarget, or waits for one. */
  activate(): void {
    if (this.target === 'armed' && this.running === CMD.TG_INIT_AS_TARGET) {
      this.target = 'activated';
      this.respond([CMD.TG_INIT_AS_TARGET + 1, MODE_ACTIVATED_PICC, ...RATS]);
    } else {
      this.pendingActivation = true;
    }
  }

  /** The reader leaves (field off or DESELECT): a waiting or later TgGetData/TgSetData reports status 29. */
  release(): void {
    this.pendingActivation = false;
    for (const q of this.queued.splice(0)) q.reject(new Error('card released'));
    if (this.exchange !== null) {
      this.exchange.reject(new Error('card released'));
      this.exchange = null;
    }
    if (this.target !== 'activated') return;
    this.target = 'idle';
    this.emit('disarmed');
    if (this.running === CMD.TG_GET_DATA) this.respondStatusOnly(CMD.TG_GET_DATA, STATUS_RELEASED);
  }

  /** The reader sends a C-APDU; resolves with the R-APDU the firmware gives with TgSetData. */
  transceive(command: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const ex: PendingExchange = { command: Uint8Array.from(command), resolve, reject, delivered: 0, response: [] };
      if (this.exchange === null) {
        this.exchange = ex;
        if (this.running === CMD.TG_GET_DATA) this.deliverCommandPart();
      } else {
        this.queued.push(ex);
      }
    });
  }

  // ------------------------------------------------------------------ internals

  private checkOnBus(): void {
    if (this.absent || this.inReset) throw new I2cNoAckError(this.address);
  }

  private powerUpState(): void {
    const wasArmed = this.armed;
    this.hung = false;
    this.corruptNext = false;
    this.dropAck = false;
    this.stall = false;
    this.outbox = [];
    this.lastResponse = null;
    this.running = -1;
    this.samConfigured = false;
    this.target = 'idle';
    if (this.exchange !== null) {
      this.exchange.reject(new Error('PN532 reset'));
      this.exchange = null;
    }
    for (const q of this.queued.splice(0)) q.reject(new Error('PN532 reset'));
    if (wasArmed) this.emit('disarmed');
  }

  /** An ACK from the host aborts the running command (UM §6.2.1.3). */
  private abortCommand(): void {
    if (this.running === CMD.TG_INIT_AS_TARGET && this.target === 'armed') {
      this.target = 'idle';
      this.emit('disarmed');
    }
    this.running = -1;
    this.outbox = [];
  }

  private startCommand(pd: number[]): void {
    if (this.dropAck) {
      this.dropAck = false;
      return;
    }
    this.outbox = [Uint8Array.from(ACK)];
    this.running = pd[0];
    switch (pd[0]) {
      case CMD.GET_FIRMWARE_VERSION:
        this.respond([pd[0] + 1, FIRMWARE.ic, FIRMWARE.version, FIRMWARE.revision, FIRMWARE.support]);
        return;
      case CMD.SAM_CONFIGURATION:
        if (pd.length < 2) return this.syntaxError();
        this.samConfigured = true;
        this.respond([pd[0] + 1]);
        return;
      case CMD.TG_INIT_AS_TARGET:
        this.initAsTarget(pd);
        return;
      case CMD.TG_GET_DATA:
        this.getData();
        return;
      case CMD.TG_SET_DATA:
      case CMD.TG_SET_META_DATA:
        this.setData(pd);
        return;
      default:
        this.syntaxError();
    }
  }

  private respond(pd: number[]): void {
    if (this.stall) {
      this.stall = false;
      return;
    }
    const frame = buildChipFrame(pd);
    this.lastResponse = frame;
    this.running = -1;
    if (this.corruptNext) {
      this.corruptNext = false;
      const bad = Uint8Array.from(frame);
      bad[bad.length - 2] ^= 0xff; // wrong DCS; a NACK brings the good copy (lastResponse)
      this.outbox.push(bad);
    } else {
      this.outbox.push(frame);
    }
  }

  private syntaxError(): void {
    this.running = -1;
    this.outbox.push(Uint8Array.from(SYNTAX_ERROR));
  }

  /** 8C Mode MifareParams(6) FeliCaParams(18) NFCID3t(10) LenGt Gt LenTk Tk (UM §7.3.14). */
  private initAsTarget(pd: number[]): void {
    const lenGtAt = 1 + 1 + 6 + 18 + 10;
    if (pd.length < lenGtAt + 2 || !this.samConfigured) {
      this.respondStatusOnly(pd[0], STATUS_NOT_ACCEPTABLE);
      return;
    }
    const lenGt = pd[lenGtAt];
    const lenTkAt = lenGtAt + 1 + lenGt;
    const lenTk = pd[lenTkAt];
    if (lenTkAt + 1 + lenTk > pd.length) return this.syntaxError();
    this.historical = Uint8Array.from(pd.slice(lenTkAt + 1, lenTkAt + 1 + lenTk));
    this.target = 'armed';
    this.emit('armed');
    if (this.pendingActivation) {
      this.pendingActivation = false;
      this.activate();
    }
  }

  private respondStatusOnly(command: number, status: number): void {
    this.respond([command + 1, status]);
  }

  private getData(): void {
    if (this.target !== 'activated') {
      this.respondStatusOnly(CMD.TG_GET_DATA, STATUS_RELEASED);
      return;
    }
    if (this.exchange !== null && this.exchange.delivered < this.exchange.command.length) this.deliverCommandPart();
  }

  /** Hands the host the next part of the C-APDU, MI set while more follows (UM §7.3.15). */
  private deliverCommandPart(): void {
    const ex = this.exchange as PendingExchange;
    const rest = ex.command.length - ex.delivered;
    const n = Math.min(rest, DATA_OUT_MAX);
    const part = Array.from(ex.command.subarray(ex.delivered, ex.delivered + n));
    ex.delivered += n;
    this.respond([CMD.TG_GET_DATA + 1, ex.delivered < ex.command.length ? STATUS_MI : 0x00, ...part]);
  }

  private setData(pd: number[]): void {
    const ex = this.exchange;
    if (this.target !== 'activated' || ex === null || ex.delivered < ex.command.length) {
      this.respondStatusOnly(pd[0], this.target !== 'activated' ? STATUS_RELEASED : STATUS_NOT_ACCEPTABLE);
      return;
    }
    if (pd.length - 1 > DATA_OUT_MAX) return this.syntaxError();
    ex.response.push(...pd.slice(1));
    this.respondStatusOnly(pd[0], 0x00);
    if (pd[0] === CMD.TG_SET_DATA) {
      this.exchange = null;
      ex.resolve(Uint8Array.from(ex.response));
      const next = this.queued.shift();
      if (next !== undefined) this.exchange = next;
    }
  }

  /** Hex of the wire log, e.g. for a failing test's message. */
  wireHex(): string[] {
    return this.wire.map((f) => `${f.from}: ${hex(f.bytes)}`);
  }
}
