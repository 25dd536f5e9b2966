/**
 * PN532 driver for card emulation (PN532 User Manual §7.2-§7.3): the commands the
 * board needs, on top of the I2C link, plus a hard reset through RSTPDN.
 *
 * Unlike EspruinoDocs' PN532 module (UID reading only, fixed delays, unchecked ACK and checksums;
 * docs/espruino.md), every exchange here polls the ready bit, checks ACK and checksums and reports a
 * named error. Long data is chained: TgGetData repeats while the status has MI set, and a response
 * over 262 bytes goes out as TgSetMetaData parts plus a final TgSetData.
 *
 * Usage:
 *   const pn532 = new Pn532(I2C1, 0x24, D4, DEFAULT_PN532_TIMING);
 *   pn532.hardReset(() => pn532.getFirmwareVersion((r) => { if (r === 0) print(pn532.firmware.version); }));
 */
import { TimerHandle, clearTimer, setTimer } from './espruino-api';
import { copy } from '../../core/bytes';
import {
  DATA_OUT_MAX, FIRMWARE_VERSION_PD_LEN, IC_PN532, SAM_MODE_NORMAL, SAM_TIMEOUT_DEFAULT, SAM_USE_IRQ,
  STATUS_NAD, TargetParams, buildGetFirmwareVersion, buildSamConfiguration, buildTgGetData, buildTgInitAsTarget,
  buildTgSetData, statusError, statusHasMore,
} from '../../core/pn532/commands';
import { DEFAULT_LINK_TIMING, I2cBus, LINK, LinkTiming, NO_TIMEOUT, Pn532Link } from './pn532-link';
import { pdOffsetFor } from '../../core/pn532/frame';

const EMPTY = new Uint8Array(0);

function ignoreResult(_result: number): void {
  // callback of a cancelled operation
}

/** Driver-level errors (link errors from LINK pass through unchanged). */
export const PN532_ERR = {
  /** GetFirmwareVersion answered, but not with a PN532 IC byte (0x32). */
  NOT_PN532: -20,
  /** The reader sent more data than the destination buffer holds. */
  OVERFLOW: -21,
  /** A response PD shorter than its layout. */
  SHORT_RESPONSE: -22,
  /** Parameters that do not fit the command (e.g. too many historical bytes). */
  BAD_PARAMS: -23,
  /** Target-mode status errors are reported as TARGET_STATUS_BASE - error (UM §7.1 table 4). */
  TARGET_STATUS_BASE: -100,
} as const;

export interface ResetLine {
  write(level: boolean): void;
}

export interface Pn532Timing {
  link: LinkTiming;
  /** Response deadline of configuration commands. */
  commandTimeoutMs: number;
  /** RSTPDN held low (Adafruit's reset holds it 400 ms; the chip needs far less, UM §12.3). */
  resetPulseMs: number;
  /** Wait after RSTPDN goes high before the first command. */
  resetSettleMs: number;
}

export const DEFAULT_PN532_TIMING: Pn532Timing = {
  link: DEFAULT_LINK_TIMING,
  commandTimeoutMs: 1000,
  resetPulseMs: 100,
  resetSettleMs: 50,
};

export interface FirmwareVersion {
  ic: number;
  version: number;
  revision: number;
  support: number;
}

/** The error code of a target-mode status byte error e. */
export function targetStatusError(e: number): number {
  return PN532_ERR.TARGET_STATUS_BASE - e;
}

/** Short name of an error code, for logs and status(). */
export function pn532ErrorName(code: number): string {
  if (code <= PN532_ERR.TARGET_STATUS_BASE) return 'target status 0x' + (PN532_ERR.TARGET_STATUS_BASE - code).toString(16);
  const tables: { [name: string]: number }[] = [LINK, PN532_ERR];
  for (let t = 0; t < tables.length; t++) {
    const names = Object.keys(tables[t]);
    for (let i = 0; i < names.length; i++) if (tables[t][names[i]] === code) return names[i];
  }
  return 'error ' + code;
}

// Response PD bounds: code + fields (UM §7.2.2, §7.2.10, §7.3.14-§7.3.17).
const SAM_RESPONSE_PD_MAX = 1;
/** 8D ModeActivated InitiatorCommand (the first frame from the reader, at most 64 bytes assumed). */
const INIT_TARGET_RESPONSE_PD_MAX = 2 + 64;
const GET_DATA_RESPONSE_PD_MAX = 2 + DATA_OUT_MAX;
const SET_DATA_RESPONSE_PD_MAX = 2;
const INIT_TARGET_PD_MAX = 1 + 1 + 6 + 18 + 10 + 1 + 1 + 48;

export class Pn532 {
  readonly link: Pn532Link;
  readonly firmware: FirmwareVersion = { ic: 0, version: 0, revision: 0, support: 0 };
  /** ModeActivated byte of the last TgInitAsTarget (UM §7.3.14). */
  modeActivated = 0;
  private readonly resetLine: ResetLine;
  private readonly timing: Pn532Timing;
  private callback: (result: number) => void = ignoreResult;
  /** An operation (possibly several chained commands, or a reset) is running. */
  private running = false;
  // TgGetData chaining state
  private dataDst: Uint8Array = EMPTY;
  private dataLength = 0;
  // TgSetData chaining state
  private sendSrc: Uint8Array = EMPTY;
  private sendLength = 0;
  private sendOffset = 0;
  private resetTimer: TimerHandle = undefined;

  constructor(bus: I2cBus, address: number, resetLine: ResetLine, timing: Pn532Timing) {
    this.link = new Pn532Link(bus, address, timing.link);
    this.resetLine = resetLine;
    this.timing = timing;
  }

  /** GetFirmwareVersion (UM §7.2.2); fills `firmware`. done(0) or an error. */
  getFirmwareVersion(done: (result: number) => void): void {
    if (!this.begin(done)) return;
    const link = this.link;
    const n = buildGetFirmwareVersion(link.tx, pdOffsetFor(1));
    link.send(n, FIRMWARE_VERSION_PD_LEN, this.timing.commandTimeoutMs, this.onFirmwareVersion);
  }

  /** SAMConfiguration normal mode, IRQ on (UM §7.2.10); needed before target mode. */
  samConfiguration(done: (result: number) => void): void {
    if (!this.begin(done)) return;
    const link = this.link;
    const n = buildSamConfiguration(link.tx, pdOffsetFor(4), SAM_MODE_NORMAL, SAM_TIMEOUT_DEFAULT, SAM_USE_IRQ);
    link.send(n, SAM_RESPONSE_PD_MAX, this.timing.commandTimeoutMs, this.onPlainResponse);
  }

  /**
   * TgInitAsTarget as an ISO 14443-4 PICC (UM §7.3.14). Completes when a reader activates the
   * card: done(ModeActivated byte >= 0) or an error. Waits for the reader without a deadline.
   */
  initAsTarget(params: TargetParams, done: (result: number) => void): void {
    if (!this.begin(done)) return;
    const link = this.link;
    // pdOffset depends only on normal vs extended framing; every TgInitAsTarget PD is normal.
    const n = buildTgInitAsTarget(link.tx, pdOffsetFor(INIT_TARGET_PD_MAX), params);
    if (n < 0) {
      this.complete(PN532_ERR.BAD_PARAMS);
      return;
    }
    link.send(n, INIT_TARGET_RESPONSE_PD_MAX, NO_TIMEOUT, this.onInitAsTarget);
  }

  /**
   * TgGetData (UM §7.3.15), repeated while the reader chains (MI): the whole C-APDU lands in
   * dst[0..]. done(length >= 0), or an error (targetStatusError(0x29): the reader released us).
   */
  getData(dst: Uint8Array, done: (result: number) => void): void {
    if (!this.begin(done)) return;
    this.dataDst = dst;
    this.dataLength = 0;
    // TgGetData here and in onGetData, not a method of its own (~4 JsVars of definitions)
    this.link.send(buildTgGetData(this.link.tx, pdOffsetFor(1)), GET_DATA_RESPONSE_PD_MAX, NO_TIMEOUT, this.onGetData);
  }

  /**
   * Sends src[0..length) as the R-APDU: parts of DATA_OUT_MAX bytes with TgSetMetaData while more
   * follows, the last with TgSetData (UM §7.3.16-§7.3.17). done(0) or an error.
   */
  setData(src: Uint8Array, length: number, done: (result: number) => void): void {
    if (!this.begin(done)) return;
    this.sendSrc = src;
    this.sendLength = length;
    this.sendOffset = 0;
    this.sendPart();
  }

  /**
   * Pulls RSTPDN low, then high, then waits for the chip to boot (UM §12.3). Any running operation
   * is forgotten (its callback is dropped). done(0) when the chip can take commands.
   */
  hardReset(done: (result: number) => void): void {
    this.link.cancel();
    if (this.resetTimer !== undefined) clearTimer(this.resetTimer);
    this.running = true;
    this.callback = done;
    this.resetLine.write(false);
    this.resetTimer = setTimer(this.timing.resetPulseMs, this.onResetPulseEnd);
  }

  /** Aborts the running command (ACK frame); its callback is dropped. */
  abort(): void {
    this.link.abort();
    this.callback = ignoreResult;
    this.running = false;
  }

  /** Starts an operation, or answers LINK.BUSY while another one runs. */
  private begin(done: (result: number) => void): boolean {
    if (this.running) {
      done(LINK.BUSY);
      return false;
    }
    this.running = true;
    this.callback = done;
    return true;
  }

  private readonly onResetPulseEnd = (): void => {
    this.resetLine.write(true);
    this.resetTimer = setTimer(this.timing.resetSettleMs, this.onResetSettled);
  };

  private readonly onResetSettled = (): void => {
    this.resetTimer = undefined;
    this.complete(LINK.OK);
  };

  private complete(result: number): void {
    this.running = false;
    const cb = this.callback;
    this.callback = ignoreResult;
    cb(result);
  }

  private readonly onFirmwareVersion = (result: number): void => {
    if (result !== LINK.OK) {
      this.complete(result);
      return;
    }
    const info = this.link.info;
    const rx = this.link.rx;
    if (info.pdLength < FIRMWARE_VERSION_PD_LEN) {
      this.complete(PN532_ERR.SHORT_RESPONSE);
      return;
    }
    const p = info.pdOffset;
    this.firmware.ic = rx[p + 1];
    this.firmware.version = rx[p + 2];
    this.firmware.revision = rx[p + 3];
    this.firmware.support = rx[p + 4];
    this.complete(this.firmware.ic === IC_PN532 ? LINK.OK : PN532_ERR.NOT_PN532);
  };

  private readonly onPlainResponse = (result: number): void => {
    this.complete(result);
  };

  private readonly onInitAsTarget = (result: number): void => {
    if (result !== LINK.OK) {
      this.complete(result);
      return;
    }
    if (this.link.info.pdLength < 2) {
      this.complete(PN532_ERR.SHORT_RESPONSE);
      return;
    }
    this.modeActivated = this.link.rx[this.link.info.pdOffset + 1];
    this.complete(this.modeActivated);
  };

  /** Reply PD: 87 Status [NAD] DataIn (UM §7.3.15). */
  private readonly onGetData = (result: number): void => {
    if (result !== LINK.OK) {
      this.complete(result);
      return;
    }
    const info = this.link.info;
    const rx = this.link.rx;
    if (info.pdLength < 2) {
      this.complete(PN532_ERR.SHORT_RESPONSE);
      return;
    }
    const status = rx[info.pdOffset + 1];
    if (statusError(status) !== 0) {
      this.complete(targetStatusError(statusError(status)));
      return;
    }
    let start = info.pdOffset + 2;
    let count = info.pdLength - 2;
    if ((status & STATUS_NAD) !== 0 && count > 0) {
      start++;
      count--;
    }
    if (this.dataLength + count > this.dataDst.length) {
      this.complete(PN532_ERR.OVERFLOW);
      return;
    }
    copy(rx, start, this.dataDst, this.dataLength, count);
    this.dataLength += count;
    if (statusHasMore(status)) this.link.send(buildTgGetData(this.link.tx, pdOffsetFor(1)), GET_DATA_RESPONSE_PD_MAX, NO_TIMEOUT, this.onGetData);
    else this.complete(this.dataLength);
  };

  private sendPart(): void {
    const link = this.link;
    const remaining = this.sendLength - this.sendOffset;
    const more = remaining > DATA_OUT_MAX;
    const count = more ? DATA_OUT_MAX : remaining;
    const n = buildTgSetData(link.tx, pdOffsetFor(1 + count), more, this.sendSrc, this.sendOffset, count);
    if (n < 0) {
      this.complete(PN532_ERR.BAD_PARAMS);
      return;
    }
    this.sendOffset += count;
    link.send(n, SET_DATA_RESPONSE_PD_MAX, this.timing.commandTimeoutMs, this.onSetData);
  }

  /** Reply PD: 8F Status, or 95 Status for TgSetMetaData (UM §7.3.16-§7.3.17). */
  private readonly onSetData = (result: number): void => {
    if (result !== LINK.OK) {
      this.complete(result);
      return;
    }
    const info = this.link.info;
    if (info.pdLength < 2) {
      this.complete(PN532_ERR.SHORT_RESPONSE);
      return;
    }
    const e = statusError(this.link.rx[info.pdOffset + 1]);
    if (e !== 0) this.complete(targetStatusError(e));
    else if (this.sendOffset < this.sendLength) this.sendPart();
    else this.complete(LINK.OK);
  };
}
