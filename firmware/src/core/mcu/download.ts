/**
 * The MCU's side of the download flow (ARCHITECTURE.md flow 2; docs/flows.md §2): a relay between
 * the platform and the SE's secure channel module. The platform's SCP03 session protects every
 * command (C-MAC + C-DECRYPTION) and every answer (R-MAC + R-ENCRYPTION), so the MCU passes bytes
 * it cannot read or change unnoticed.
 *
 * The link delivers a command at least once (a PoR lost on a dropped link makes the platform send
 * it again under a new counter). The SE must not see a protected command twice, so the relay
 * remembers the last command and its answer: the same (job, seq, bytes) again gets the stored
 * answer, not a second trip to the SE.
 *
 * States: IDLE --APDU--> RELAYING --APDU or a repeat--> RELAYING --COMPLETE--> DONE --APDU-->
 * RELAYING. COMPLETE is a read (card-manager record), legal in every state.
 */
import { copy, equalBytes } from '../bytes';
import { CM_RECORD_LEN } from '../se/card-manager';
import { MAX_COMMAND_LEN, MAX_RESPONSE_LEN, SecureElement } from '../se/secure-element';
import {
  OP_APDU, OP_COMPLETE, RESULT_MALFORMED, RESULT_NOT_FOUND, RESULT_OK, RelayCommand, parseRelayCommand,
} from './relay-message';

export type DownloadState = 'IDLE' | 'RELAYING' | 'DONE';

/** Largest answer: result(1) + a response APDU. */
export const RELAY_ANSWER_MAX = 1 + MAX_RESPONSE_LEN;

export class DownloadRelay {
  state: DownloadState = 'IDLE';
  /** Progress of the current job as the platform numbers it. */
  job = -1;
  seq = -1;
  total = 0;
  /** Commands passed to the SE and repeats answered from memory, since boot. */
  relayed = 0;
  repeated = 0;
  private readonly se: SecureElement;
  private readonly cmd = new RelayCommand();
  /** The last command as it came (the SE unwraps in place, so it gets a copy in `work`). */
  private readonly last = new Uint8Array(MAX_COMMAND_LEN);
  /** The command and answer buffers of an SE exchange (the management session borrows them). */
  readonly work = new Uint8Array(MAX_COMMAND_LEN);
  readonly rsp = new Uint8Array(MAX_RESPONSE_LEN);
  private lastLen = -1;
  private lastJob = -1;
  private lastSeq = -1;
  private readonly lastAnswer = new Uint8Array(RELAY_ANSWER_MAX);
  private lastAnswerLen = 0;

  constructor(se: SecureElement) {
    this.se = se;
  }

  /**
   * Handles one relay command msg[off, off + len); writes the answer into out (RELAY_ANSWER_MAX
   * bytes) and returns its length.
   */
  handle(msg: Uint8Array, off: number, len: number, out: Uint8Array): number {
    const c = this.cmd;
    if (!parseRelayCommand(msg, off, len, c)) {
      out[0] = RESULT_MALFORMED;
      return 1;
    }
    if (c.op === OP_COMPLETE) return this.complete(msg, c, out);
    if (c.op !== OP_APDU || c.bodyLen < 4 || c.bodyLen > MAX_COMMAND_LEN) {
      out[0] = RESULT_MALFORMED;
      return 1;
    }
    if (this.isRepeat(msg, c)) {
      this.repeated = this.repeated + 1;
      copy(this.lastAnswer, 0, out, 0, this.lastAnswerLen);
      return this.lastAnswerLen;
    }
    this.state = 'RELAYING';
    this.job = c.job;
    this.seq = c.seq;
    this.total = c.total;
    copy(msg, c.bodyOff, this.last, 0, c.bodyLen);
    copy(msg, c.bodyOff, this.work, 0, c.bodyLen);
    const n = this.se.transceive(this.work, c.bodyLen, this.rsp);
    this.relayed = this.relayed + 1;
    this.lastLen = c.bodyLen;
    this.lastJob = c.job;
    this.lastSeq = c.seq;
    out[0] = RESULT_OK;
    copy(this.rsp, 0, out, 1, n);
    copy(out, 0, this.lastAnswer, 0, n + 1);
    this.lastAnswerLen = n + 1;
    return n + 1;
  }

  private isRepeat(msg: Uint8Array, c: RelayCommand): boolean {
    return c.job === this.lastJob && c.seq === this.lastSeq && c.bodyLen === this.lastLen && equalBytes(msg, c.bodyOff, this.last, 0, c.bodyLen);
  }

  /** The installed card's slot and card-manager record (the seed's service information). */
  private complete(msg: Uint8Array, c: RelayCommand, out: Uint8Array): number {
    const slot = this.se.registry.findApp(msg, c.bodyOff, c.bodyLen);
    if (slot < 0 || !this.se.cardManager.load(slot)) {
      out[0] = RESULT_NOT_FOUND;
      return 1;
    }
    this.state = 'DONE';
    this.job = c.job;
    this.seq = c.seq;
    this.total = c.total;
    out[0] = RESULT_OK;
    out[1] = slot;
    copy(this.se.cardManager.record, 0, out, 2, CM_RECORD_LEN);
    return 2 + CM_RECORD_LEN;
  }
}
