/**
 * Runs the PN532 as an ISO 14443-4 card (PN532 User Manual §7): TgInitAsTarget, then
 * TgGetData -> the card's transceive() -> TgSetData until the reader leaves, with recovery through
 * RSTPDN when the chip stops answering. The states and their order are in emulation-session.ts.
 *
 * The C-APDU and R-APDU buffers are allocated once here; the card gets them as
 * (cmd, cmdLen, rsp) and returns the response length including SW1 SW2. Activation by a reader is
 * the card's field-on reset; the reader leaving is its power-off.
 */
import { TimerHandle, clearTimer, setTimer } from './espruino-api';
import { SW } from '../../core/sw';
import { writeU16 } from '../../core/bytes';
import type { TargetParams } from '../../core/pn532/commands';
import { STATUS_RELEASED } from '../../core/pn532/commands';
import { LINK } from './pn532-link';
import { PN532_ERR, Pn532, pn532ErrorName, targetStatusError } from './pn532';
import { ILLEGAL, SessionEvent, SessionState, step } from './emulation-session';

/** What the PN532 presents to a reader: the SE's contactless interface (SecureElement fits). */
export interface ContactlessCard {
  /** Field on: every application deselected, sessions closed. */
  reset(): unknown;
  /** Field off. */
  powerOff(): void;
  /** C-APDU in cmd[0..cmdLen), R-APDU (with SW) into rsp; returns its length. */
  transceive(cmd: Uint8Array, cmdLen: number, rsp: Uint8Array): number;
}

export interface EmulationTiming {
  /** While no reader is present, re-check the chip this often (abort TgInitAsTarget, GetFirmwareVersion). */
  idleCheckMs: number;
  /** First wait before retrying after a failed recovery; doubles up to maxRecoveryDelayMs. */
  recoveryDelayMs: number;
  maxRecoveryDelayMs: number;
}

export const DEFAULT_EMULATION_TIMING: EmulationTiming = {
  idleCheckMs: 30000,
  recoveryDelayMs: 500,
  maxRecoveryDelayMs: 10000,
};

export interface EmulationCounters {
  /** APDUs answered. */
  apdus: number;
  /** Reader activations (TgInitAsTarget completions). */
  activations: number;
  /** Hard resets through RSTPDN (the first one at start included). */
  resets: number;
  /** Card exceptions answered with 6F00. */
  cardErrors: number;
}

const SW_LEN = 2;

export class CardEmulation {
  state: SessionState = 'off';
  readonly counters: EmulationCounters = { apdus: 0, activations: 0, resets: 0, cardErrors: 0 };
  /** Last error, by name, for status(). */
  lastError = '';
  private readonly pn532: Pn532;
  private readonly target: TargetParams;
  private readonly card: ContactlessCard;
  private readonly timing: EmulationTiming;
  private readonly cmd: Uint8Array;
  private readonly rsp: Uint8Array;
  private cmdLength = 0;
  private failuresInARow = 0;
  private timer: TimerHandle = undefined;

  constructor(pn532: Pn532, target: TargetParams, card: ContactlessCard, commandBufferSize: number, responseBufferSize: number, timing: EmulationTiming) {
    this.pn532 = pn532;
    this.target = target;
    this.card = card;
    this.timing = timing;
    this.cmd = new Uint8Array(commandBufferSize);
    this.rsp = new Uint8Array(responseBufferSize);
  }

  start(): void {
    this.fire('start');
  }

  /** Stops the session: the running PN532 command is aborted and no timer stays armed. */
  stop(): void {
    this.fire('stop');
  }

  private fire(event: SessionEvent): void {
    const next = step(this.state, event);
    if (next === ILLEGAL) {
      // A bug, not a chip fault: note it and recover the chip rather than stopping the board.
      this.lastError = 'illegal event ' + event + ' in state ' + this.state;
      this.state = 'resetting';
    } else {
      this.state = next;
    }
    this.enter();
  }

  private enter(): void {
    if (this.timer !== undefined) clearTimer(this.timer);
    this.timer = undefined;
    switch (this.state) {
      case 'off':
        this.pn532.abort();
        return;
      case 'resetting':
        this.counters.resets++;
        this.pn532.hardReset(this.onResetDone);
        return;
      case 'configuring':
        this.pn532.getFirmwareVersion(this.onFirmwareVersion);
        return;
      case 'listening':
        this.timer = setTimer(this.timing.idleCheckMs, this.onIdleCheck);
        this.pn532.initAsTarget(this.target, this.onActivated);
        return;
      case 'receiving':
        this.pn532.getData(this.cmd, this.onCommand);
        return;
      case 'responding': {
        // The card's answer (here, not a method of its own: ~4 JsVars of definitions less)
        let n = 0;
        try {
          n = this.card.transceive(this.cmd, this.cmdLength, this.rsp);
        } catch (err) {
          this.counters.cardErrors++;
          this.lastError = 'card: ' + String(err);
          n = 0;
        }
        if (n < SW_LEN || n > this.rsp.length) {
          writeU16(this.rsp, 0, SW.ERR_NO_PRECISE_DIAGNOSIS);
          n = SW_LEN;
        }
        this.pn532.setData(this.rsp, n, this.onResponded);
        return;
      }
    }
  }

  /** Records a link failure and schedules the reset, backing off while failures repeat. */
  private linkFailed(code: number): void {
    this.lastError = pn532ErrorName(code);
    this.failuresInARow++;
    let delay = this.timing.recoveryDelayMs;
    for (let i = 1; i < this.failuresInARow && delay < this.timing.maxRecoveryDelayMs; i++) delay = delay * 2;
    if (delay > this.timing.maxRecoveryDelayMs) delay = this.timing.maxRecoveryDelayMs;
    if (this.timer !== undefined) clearTimer(this.timer);
    this.timer = setTimer(this.failuresInARow === 1 ? 0 : delay, this.onRecoveryDelay);
  }

  private readonly onRecoveryDelay = (): void => {
    this.timer = undefined;
    this.fire('link-failed');
  };

  private readonly onResetDone = (): void => {
    this.fire('reset-done');
  };

  private readonly onFirmwareVersion = (result: number): void => {
    if (result !== LINK.OK) this.linkFailed(result);
    else this.pn532.samConfiguration(this.onSamConfigured);
  };

  private readonly onSamConfigured = (result: number): void => {
    if (result !== LINK.OK) {
      this.linkFailed(result);
      return;
    }
    this.failuresInARow = 0;
    this.fire('configured');
  };

  private readonly onIdleCheck = (): void => {
    this.timer = undefined;
    this.pn532.abort();
    this.fire('idle-check');
  };

  private readonly onActivated = (result: number): void => {
    if (result >= 0) {
      this.counters.activations++;
      this.card.reset();
      this.fire('activated');
    } else if (result <= PN532_ERR.TARGET_STATUS_BASE) {
      this.lastError = pn532ErrorName(result);
      this.enter(); // an RF-side failure during activation: listen again
    } else {
      this.linkFailed(result);
    }
  };

  private readonly onCommand = (result: number): void => {
    if (result >= 0) {
      this.cmdLength = result;
      this.fire('command');
    } else if (result <= PN532_ERR.TARGET_STATUS_BASE || result === PN532_ERR.OVERFLOW) {
      if (result !== targetStatusError(STATUS_RELEASED)) this.lastError = pn532ErrorName(result);
      this.card.powerOff();
      this.fire('released');
    } else {
      this.linkFailed(result);
    }
  };

  private readonly onResponded = (result: number): void => {
    if (result === LINK.OK) {
      this.counters.apdus++;
      this.fire('responded');
    } else if (result <= PN532_ERR.TARGET_STATUS_BASE) {
      this.lastError = pn532ErrorName(result);
      this.card.powerOff();
      this.fire('released');
    } else {
      this.linkFailed(result);
    }
  };
}
