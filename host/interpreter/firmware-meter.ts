/**
 * Firmware time and memory, measured inside the interpreter and collected from the stand-in
 * PN532's calls (pn532-bridge.ts). For each APDU a reader sends:
 *
 *   firmware time = interpreter time from the stand-in returning the TgGetData response that
 *                   carries the C-APDU (its first part, when chained) to the stand-in receiving the
 *                   TgSetData with the R-APDU, minus the time spent inside stand-in calls between
 *                   the two (e.g. TgSetMetaData parts of a long response);
 *   stand-in time  = that time spent inside stand-in calls, apart;
 *   peak JsVars    = the highest firmware figure sampled at those calls.
 *
 * Between the two calls the firmware runs without waiting for a timer (card-emulation.ts answers
 * synchronously), so the figure is CPU time of the interpreter. JsVars are sampled only at
 * stand-in calls: a peak between two calls (inside one APDU's processing) is not seen.
 *
 * Two JsVar figures, both measured inside the interpreter (standin-script.ts):
 *   firmware       process.memory(false).usage at the stand-in function's first statement, less
 *                  that call's own frame and the stand-in's held objects, both measured at
 *                  power-on: what the firmware holds at its I2C call (on a board I2C1 is native
 *                  and holds none of these); on the console, usage less the held objects;
 *   with stand-in  usage inside the stand-in's sender (its temporaries too) or on the console:
 *                  the whole interpreter as tested.
 */
import type { StandInCall } from './pn532-bridge';

const TFI_HOST = 0xd4;
const TFI_CHIP = 0xd5;
const TG_GET_DATA_RESPONSE = 0x87;
const TG_SET_DATA = 0x8e;
const TG_SET_META_DATA = 0x94;
/** Target status byte (PN532 UM §7.1): bits 0..5 error code, bit 6 MI (more information). */
const STATUS_ERROR_MASK = 0x3f;
const STATUS_MI = 0x40;

export interface ApduTiming {
  command: Uint8Array;
  response: Uint8Array;
  /** Interpreter time the firmware spent on this APDU, µs (getTime() in the interpreter). */
  firmwareUs: number;
  /** Time inside stand-in calls within the same window, µs. */
  standInUs: number;
  /** Stand-in calls within the window (the closing TgSetData included). */
  standInCalls: number;
  /** Highest firmware JsVars at those calls (stand-in's objects and frame left out). */
  peakVars: number;
  /** Highest JsVars of the whole interpreter at those calls (the stand-in's included). */
  withStandInPeakVars: number;
}

export interface StandInTotals {
  calls: number;
  /** Time inside all stand-in calls so far, µs (each call's duration arrives with the next call). */
  standInUs: number;
  /** Interpreter time outside stand-in calls so far, µs (firmware running or sleeping for a timer). */
  outsideUs: number;
}

/** TFI and PD of a PN532 information frame at `offset` (UM §6.2.1.1-§6.2.1.2), or null. */
export function framePd(bytes: Uint8Array, offset: number): { tfi: number; pd: Uint8Array } | null {
  let p = offset;
  while (p < bytes.length && bytes[p] === 0x00) p++;
  if (p === offset || bytes[p] !== 0xff) return null;
  p++;
  let len: number;
  if (bytes[p] === 0xff && bytes[p + 1] === 0xff) {
    len = (bytes[p + 2] << 8) | bytes[p + 3];
    p += 5;
  } else {
    len = bytes[p];
    p += 2;
  }
  if (len < 2 || p + len > bytes.length) return null;
  return { tfi: bytes[p], pd: bytes.subarray(p + 1, p + len) };
}

interface OpenWindow {
  command: number[];
  response: number[];
  firmwareUs: number;
  standInUs: number;
  calls: number;
  peakVars: number;
  withStandInPeakVars: number;
  /** The C-APDU is still arriving (MI set on the last TgGetData part): the next part extends it. */
  chained: boolean;
}

export class FirmwareMeter {
  /** Every APDU answered, in order. */
  readonly apdus: ApduTiming[] = [];
  readonly totals: StandInTotals = { calls: 0, standInUs: 0, outsideUs: 0 };
  /** Highest firmware JsVars seen at any stand-in call or sample() since start or resetPeak(). */
  peakVars = 0;
  /** Firmware JsVars at the latest stand-in call or sample(). */
  lastVars = 0;
  /** The same two of the whole interpreter, the stand-in's objects and frames included. */
  withStandInPeakVars = 0;
  withStandInLastVars = 0;
  /** JsVars the stand-in's objects hold and the largest frame of its functions seen (0 before its first call). */
  readonly standIn = { heldVars: 0, frameVars: 0 };
  private window: OpenWindow | null = null;
  private readonly listeners: ((apdu: ApduTiming) => void)[] = [];

  /** Called with each APDU's figures as soon as its answer reaches the stand-in. */
  onApdu(listener: (apdu: ApduTiming) => void): void {
    this.listeners.push(listener);
  }

  /**
   * JsVars in use measured some other way (process.memory(false).usage on the console), folded
   * into both peaks; the firmware's figure leaves out the stand-in's held objects. Returns it.
   */
  sample(usage: number): number {
    const vars = usage - this.standIn.heldVars;
    this.fold(vars, usage);
    return vars;
  }

  resetPeak(): void {
    this.peakVars = this.lastVars;
    this.withStandInPeakVars = this.withStandInLastVars;
  }

  private fold(vars: number, withStandIn: number): void {
    this.lastVars = vars;
    if (vars > this.peakVars) this.peakVars = vars;
    this.withStandInLastVars = withStandIn;
    if (withStandIn > this.withStandInPeakVars) this.withStandInPeakVars = withStandIn;
  }

  /** Feed of the bridge's calls. */
  record(call: StandInCall): void {
    const { request } = call;
    this.totals.calls++;
    this.totals.standInUs += request.previousCallUs;
    this.totals.outsideUs += request.gapUs;
    this.standIn.heldVars = request.heldVars;
    if (request.frameVars > this.standIn.frameVars) this.standIn.frameVars = request.frameVars;
    const vars = request.entryVars - request.frameVars - request.heldVars;
    this.fold(vars, request.vars);

    const w = this.window;
    if (w !== null) {
      w.firmwareUs += request.gapUs;
      if (w.calls > 0) w.standInUs += request.previousCallUs;
      w.calls++;
      if (vars > w.peakVars) w.peakVars = vars;
      if (request.vars > w.withStandInPeakVars) w.withStandInPeakVars = request.vars;
      if (request.op === 'write') this.onHostFrame(w, request.data);
    }
    if (call.read !== null) this.onChipFrame(call.read);
  }

  private onHostFrame(w: OpenWindow, data: Uint8Array): void {
    const frame = framePd(data, 0);
    if (frame === null || frame.tfi !== TFI_HOST) return;
    const code = frame.pd[0];
    if (code !== TG_SET_DATA && code !== TG_SET_META_DATA) return;
    for (let i = 1; i < frame.pd.length; i++) w.response.push(frame.pd[i]);
    if (code === TG_SET_META_DATA) return;
    this.window = null;
    const timing: ApduTiming = {
      command: Uint8Array.from(w.command),
      response: Uint8Array.from(w.response),
      firmwareUs: w.firmwareUs,
      standInUs: w.standInUs,
      standInCalls: w.calls,
      peakVars: w.peakVars,
      withStandInPeakVars: w.withStandInPeakVars,
    };
    this.apdus.push(timing);
    for (const l of this.listeners) l(timing);
  }

  /** A read returned (status byte at 0, then the frame): a TgGetData response opens or extends the window. */
  private onChipFrame(bytes: Uint8Array): void {
    const frame = framePd(bytes, 1);
    if (frame === null || frame.tfi !== TFI_CHIP || frame.pd[0] !== TG_GET_DATA_RESPONSE || frame.pd.length < 2) return;
    const status = frame.pd[1];
    if ((status & STATUS_ERROR_MASK) !== 0) {
      this.window = null; // the reader left: no answer will come
      return;
    }
    let w = this.window;
    if (w === null || !w.chained) {
      w = { command: [], response: [], firmwareUs: 0, standInUs: 0, calls: 0, peakVars: 0, withStandInPeakVars: 0, chained: false };
      this.window = w;
    }
    for (let i = 2; i < frame.pd.length; i++) w.command.push(frame.pd[i]);
    w.chained = (status & STATUS_MI) !== 0;
  }
}
