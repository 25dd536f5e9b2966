/**
 * The MCU's side of the download flow (ARCHITECTURE.md flow 2; docs/flows.md §2): a relay between
 * the platform and the SE's secure channel module. The platform's SCP03 session protects every
 * command (C-MAC + C-DECRYPTION) and every answer (R-MAC + R-ENCRYPTION), so the MCU passes bytes
 * it cannot read or change unnoticed.
 *
 * The link delivers a command at least once (a PoR lost on a dropped link makes the platform send
 * it again under a new counter). The SE must not see a protected command twice, so the relay
 * remembers the last command and its answer: the same (op, job, seq, length, CRC-32 of the bytes)
 * again gets the stored answer, not a second trip to the SE. The command is kept as its CRC, not
 * its bytes (up to 1,035 of them: ~60-75 JsVars on a board for as long as it runs); the platform
 * numbers its commands, so a different command under the same job and seq is already its error. A sequence (OP_APDU_SEQUENCE, several commands in one
 * packet) is one relay command: remembered whole, answered whole.
 *
 * The platform keeps a few sequences of a job in flight at once, each in its own secured packet
 * (counters in seq order), so one may come again after later ones (its PoR was lost), or after a
 * gap (a packet before it was lost). The relay passes a sequence of the job it is relaying to the
 * SE only when its seq follows the last command given to the SE and every command before it
 * answered 9000; otherwise it answers RESULT_SUPERSEDED, RESULT_GAP or RESULT_STOPPED
 * (relay-message.ts) without the SE, and the platform sends it again or settles it from a later
 * answer: an answered sequence vouches for every one before it. Only the last relay command's
 * answer is kept (no RAM per command in flight).
 *
 * States: IDLE --APDU--> RELAYING --APDU or a repeat--> RELAYING --COMPLETE--> DONE --APDU-->
 * RELAYING. COMPLETE is a read (card-manager record), legal in every state.
 */
import { copy, equalBytes, readU16 } from '../bytes';
import { CM_RECORD_LEN } from '../se/card-manager';
import { MAX_COMMAND_LEN, MAX_RESPONSE_LEN, SecureElement } from '../se/secure-element';
import { SW } from '../sw';
import {
  OP_APDU, OP_APDU_SEQUENCE, OP_COMPLETE, RESULT_GAP, RESULT_MALFORMED, RESULT_NOT_FOUND, RESULT_OK, RESULT_STOPPED,
  RESULT_SUPERSEDED, RelayCommand, SEQUENCE_LENGTH_LEN, parseRelayCommand, sequenceCount,
} from './relay-message';

export type DownloadState = 'IDLE' | 'RELAYING' | 'DONE';

/** Largest answer: result(1) + executed(1, sequences) + a response APDU. */
export const RELAY_ANSWER_MAX = 2 + MAX_RESPONSE_LEN;
/** Shortest command APDU: CLA INS P1 P2 (ISO/IEC 7816-4 §5.1, case 1). */
const MIN_COMMAND_LEN = 4;

export class DownloadRelay {
  state: DownloadState = 'IDLE';
  /** Progress of the current job as the platform numbers it. */
  job = -1;
  seq = -1;
  total = 0;
  /** Command APDUs passed to the SE and relay commands answered from memory, since boot. */
  relayed = 0;
  repeated = 0;
  private readonly se: SecureElement;
  private readonly cmd = new RelayCommand();
  /**
   * CRC-32 of the last command as it came, taken before the SE unwraps it in place (the SE's
   * store check: one native call on the board), and room for a new command's.
   */
  private readonly lastCrc = new Uint8Array(4);
  private readonly crc = new Uint8Array(4);
  /**
   * The answer buffer (RELAY_ANSWER_MAX bytes, the caller's: the link keeps the PoR's data there
   * too). The last answer stays in it for a repeat: a refusal writes only its first octet, which
   * lastResult keeps. The SE writes its response straight into it, through a view at the offset
   * the answer carries it at (after the result, or after the result and the count of a sequence).
   */
  readonly answer: Uint8Array;
  private readonly single: Uint8Array;
  private readonly inSequence: Uint8Array;
  private lastLen = -1;
  private lastOp = -1;
  private lastJob = -1;
  private lastSeq = -1;
  private lastResult = 0;
  private lastAnswerLen = 0;
  /** The last sequence given to the SE stopped at a status other than 9000. */
  private stopped = false;

  constructor(se: SecureElement, answer: Uint8Array) {
    this.se = se;
    if (answer.length < RELAY_ANSWER_MAX) throw new Error('DownloadRelay: answer buffer of ' + answer.length + ' bytes, answers up to ' + RELAY_ANSWER_MAX);
    this.answer = answer;
    this.single = answer.subarray(1, 1 + MAX_RESPONSE_LEN);
    this.inSequence = answer.subarray(2, 2 + MAX_RESPONSE_LEN);
  }

  /** Handles one relay command msg[off, off + len); writes the answer into `answer` and returns its length. */
  handle(msg: Uint8Array, off: number, len: number): number {
    const out = this.answer;
    const c = this.cmd;
    if (!parseRelayCommand(msg, off, len, c)) {
      out[0] = RESULT_MALFORMED;
      return 1;
    }
    if (c.op === OP_COMPLETE) return this.complete(msg, c, out);
    const count = c.op === OP_APDU ? 1 : sequenceCount(msg, c.bodyOff, c.bodyLen, MIN_COMMAND_LEN, MAX_COMMAND_LEN);
    if (count < 0 || c.bodyLen < MIN_COMMAND_LEN || c.bodyLen > MAX_COMMAND_LEN) {
      out[0] = RESULT_MALFORMED;
      return 1;
    }
    if (this.isRepeat(msg, c)) {
      this.repeated = this.repeated + 1;
      out[0] = this.lastResult;
      return this.lastAnswerLen;
    }
    if (c.op === OP_APDU_SEQUENCE && this.state === 'RELAYING' && c.job === this.job) {
      const refused = c.seq <= this.seq ? RESULT_SUPERSEDED : c.seq > this.seq + 1 ? RESULT_GAP : this.stopped ? RESULT_STOPPED : RESULT_OK;
      if (refused !== RESULT_OK) {
        out[0] = refused;
        return 1;
      }
    }
    this.state = 'RELAYING';
    this.job = c.job;
    this.total = c.total;
    this.se.crc32(msg, c.bodyOff, c.bodyLen, this.lastCrc, 0);
    this.lastLen = c.bodyLen;
    this.lastOp = c.op;
    this.lastJob = c.job;
    this.lastSeq = c.seq;
    let n: number;
    if (c.op === OP_APDU) {
      n = this.transceive(msg, c.bodyOff, c.bodyLen, this.single);
      this.seq = c.seq;
      this.stopped = false;
      out[0] = RESULT_OK;
      n = n + 1;
    } else {
      // Each command in turn; the answer keeps the last one's response (TS 102 226 §5.1, compact).
      let p = c.bodyOff;
      let done = 0;
      let m = 0;
      const r = this.inSequence;
      while (done < count) {
        const len = readU16(msg, p);
        m = this.transceive(msg, p + SEQUENCE_LENGTH_LEN, len, r);
        p = p + SEQUENCE_LENGTH_LEN + len;
        done = done + 1;
        if (m < 2 || ((r[m - 2] << 8) | r[m - 1]) !== SW.OK) break;
      }
      this.seq = c.seq + done - 1;
      this.stopped = m < 2 || ((r[m - 2] << 8) | r[m - 1]) !== SW.OK;
      out[0] = RESULT_OK;
      out[1] = done;
      n = m + 2;
    }
    this.lastResult = out[0];
    this.lastAnswerLen = n;
    return n;
  }

  /**
   * Passes one command APDU msg[off, off + len) to the SE, which unwraps it in place there (the
   * relay keeps only its CRC, taken before); the response goes to rsp. The commands of a sequence
   * follow one another in msg, and unwrapping one changes none of the next one's bytes.
   */
  private transceive(msg: Uint8Array, off: number, len: number, rsp: Uint8Array): number {
    this.relayed = this.relayed + 1;
    return this.se.transceive(off === 0 ? msg : msg.subarray(off, off + len), len, rsp);
  }

  private isRepeat(msg: Uint8Array, c: RelayCommand): boolean {
    return (
      c.op === this.lastOp && c.job === this.lastJob && c.seq === this.lastSeq && c.bodyLen === this.lastLen &&
      this.sameCrc(msg, c.bodyOff, c.bodyLen)
    );
  }

  private sameCrc(msg: Uint8Array, off: number, len: number): boolean {
    this.se.crc32(msg, off, len, this.crc, 0);
    return equalBytes(this.crc, 0, this.lastCrc, 0, 4);
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
    // This answer takes the buffer the last command's answer was kept in: a repeat of that command
    // (it had its PoR already, or this one would not have come) is answered superseded, still
    // without the SE.
    this.lastResult = RESULT_SUPERSEDED;
    this.lastAnswerLen = 1;
    // The job's last command: the platform's SCP03 session has nothing left to do (and holds RAM).
    if (c.seq + 1 === c.total) this.se.endSession();
    out[0] = RESULT_OK;
    out[1] = slot;
    copy(this.se.cardManager.record, 0, out, 2, CM_RECORD_LEN);
    return 2 + CM_RECORD_LEN;
  }
}
