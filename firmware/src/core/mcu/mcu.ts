/**
 * The terminal's main control unit (ARCHITECTURE.md flows 1 and 2; docs/flows.md): the one MCU both
 * terminals run, the board (board/espruino/mcu-link.ts) and `tapcard terminal`
 * (host/terminal/terminal.ts). Sans-I/O: the shell feeds it events and carries out its actions, so
 * the two shells differ only in how frames, time and the user reach it.
 *
 *   events   receive(frame, len, now)   a frame from the broker: the platform's relay commands
 *                                       (downloads, delete and status jobs) and the PoRs of this
 *                                       MCU's own requests
 *            requestPermission(now)     the user asks to manage the SE (flow 1, TAR_PERMISSION)
 *            requestDownload(app, now)  the user picks an application (flow 2, TAR_DOWNLOAD_REQUEST)
 *            tick(now)                  a timer: a request whose PoR is overdue is given up
 *   actions  shell.sendFrame(frame)     publish one frame
 *            shell.manage(session)      the granted SCP03 session is open: the shell works on it
 *                                       (session.send); when manage returns the MCU closes it
 *                                       and wipes every key, whatever happened
 *            shell.tell(note, value, text)   what happened (mcu-notes.ts, link/link-notes.ts)
 *
 * The SE is in the same firmware in both shells and answers synchronously, so an SE exchange is a
 * call inside the event that needs it. One request waits for its PoR at a time, and the
 * management session lives only inside the event that opened it: it is created there and dropped
 * after (its SCP03 engines and buffers are RAM a board needs only for that event). Times are Unix
 * seconds.
 */
import { equalBytes } from '../bytes';
import type { CipherFactory } from '../crypto/block-cipher';
import { type CounterStore, CNTR_LEN } from '../link/counter';
import type { LinkKeyset } from '../link/keyset';
import { LinkEndpoint, type LinkSink, RECEIVED_COMMAND, RECEIVED_POR, REQUEST_SENT } from '../link/link-endpoint';
import { COPY_OF_POR, LINK_COPY, LINK_POR_REFUSED } from '../link/link-notes';
import { POR } from '../link/por-status';
import { RESPONSE } from '../link/response-packet';
import { MAX_COMMAND_LEN, MAX_RESPONSE_LEN, type SecureElement } from '../se/secure-element';
import type { Random } from '../ports/random';
import { DownloadRelay, RELAY_ANSWER_MAX } from './download';
import { APP_ID_MAX, writeDownloadRequest } from './download-request';
import { ManagementSession } from './management-session';
import { SE_SERIAL_LEN } from './permission';
import {
  DOWNLOAD_BUSY, DOWNLOAD_REFUSED, NOTE_DOWNLOAD_QUEUED, NOTE_DOWNLOAD_REFUSED, NOTE_INSTALLED, NOTE_NO_ANSWER, NOTE_PERMISSION_DONE, NOTE_PERMISSION_REFUSED,
  NOTE_RELAYED, NOTE_REQUEST_REFUSED, REQUEST_DOWNLOAD, REQUEST_NONE, REQUEST_PERMISSION,
} from './mcu-notes';
import { TAR_DOWNLOAD_REQUEST, TAR_MCU_RELAY, TAR_PERMISSION } from './tars';

/** The actions an MCU emits; the board and the host terminal each implement them. */
export interface McuShell extends LinkSink {
  manage(session: ManagementSession): void;
}

/** Packets of up to MAX_PARTS frames (docs/link.md "Frames": default 8). */
const MAX_PARTS = 8;
/**
 * Reassemblies open at once (each holds MAX_PARTS frames of RAM): the broker delivers one sender's
 * frames in order (MQTT 5.0 §4.6), so a packet's frames arrive together; the second slot lets a
 * response to the MCU's one outstanding request overlap a platform command.
 */
const MAX_REASSEMBLIES = 2;

export class Mcu {
  readonly link: LinkEndpoint;
  readonly relay: DownloadRelay;
  /** Status word of the SE's last refusal while a granted session opened (0 when none). */
  lastSw = 0;
  /** The request waiting for its PoR (REQUEST_*), and until when. */
  pending = REQUEST_NONE;
  /** The last request that got its answer or was given up. */
  settled = REQUEST_NONE;
  /** The platform TAR the waiting request went to. */
  private pendingTar = -1;
  private deadline = 0;
  private now = 0;
  private readonly request = new Uint8Array(APP_ID_MAX);

  constructor(
    private readonly se: SecureElement,
    keys: LinkKeyset,
    up: CounterStore,
    down: CounterStore,
    frameSize: number,
    private readonly aes: CipherFactory,
    private readonly random: Random,
    private readonly porTimeoutSeconds: number,
    private readonly shell: McuShell,
  ) {
    random.fill(this.request, 0, 1);
    this.link = new LinkEndpoint(keys, up, down, this, shell, RELAY_ANSWER_MAX, frameSize, MAX_PARTS, MAX_REASSEMBLIES, this.request[0]);
    // The relay answers in the link's answer buffer, which keeps it for copies of the command too.
    this.relay = new DownloadRelay(se, this.link.answerData);
  }

  receive(frame: Uint8Array, len: number, nowSeconds: number): void {
    this.now = nowSeconds;
    const l = this.link;
    const got = l.receive(frame, len, nowSeconds);
    if (got === RECEIVED_COMMAND) {
      // A relay command from the platform, answered by the SE through the relay (download.ts).
      // Here, not a method of its own: each costs Espruino ~4 JsVars while the firmware runs.
      const c = l.command;
      const r = this.relay;
      const before = r.state;
      const answer = l.answerData;
      const n = r.handle(c.data, c.dataOff, c.dataLen);
      this.shell.tell(NOTE_RELAYED, answer[0], '');
      if (r.state === 'DONE' && before !== 'DONE' && n > 1 && r.seq + 1 === r.total) this.shell.tell(NOTE_INSTALLED, answer[1], '');
      l.answer(c.tar, c.cntr, 0, c.spi2 & 0x03, answer, 0, n);
    } else if (got === RECEIVED_POR) {
      this.por();
    }
    l.forget();
  }

  /** Commands from the platform are for the MCU's relay only. */
  acceptsTar(tar: number): boolean {
    return tar === TAR_MCU_RELAY;
  }

  /** Flow 1: sends the SE's serial to the platform. False when a request is still waiting or nothing could be sent. */
  requestPermission(nowSeconds: number): boolean {
    return this.ask(REQUEST_PERMISSION, TAR_PERMISSION, this.se.serial, SE_SERIAL_LEN, nowSeconds);
  }

  /**
   * Flow 2 from the terminal: asks the platform to install an application. Returns 0 when sent,
   * -1 for an id outside a-z 0-9 - (1..32 characters), -2 when a request is still waiting or
   * nothing could be sent.
   */
  requestDownload(applicationId: string, nowSeconds: number): number {
    const n = writeDownloadRequest(applicationId, this.request);
    if (n === 0) return -1;
    return this.ask(REQUEST_DOWNLOAD, TAR_DOWNLOAD_REQUEST, this.request, n, nowSeconds) ? 0 : -2;
  }

  tick(nowSeconds: number): void {
    if (this.pending === REQUEST_NONE || nowSeconds < this.deadline) return;
    this.settle();
    this.shell.tell(NOTE_NO_ANSWER, 0, '');
  }

  /**
   * A PoR: the answer to the waiting request when it echoes its TAR and counter (a clear refusal
   * has no counter: its TAR is enough); a verified PoR of a request settled or given up is a copy.
   */
  private por(): void {
    const l = this.link;
    const p = l.por;
    const verified = l.porVerified;
    const ours = this.pending !== REQUEST_NONE && p.tar === this.pendingTar && (!verified || equalBytes(p.cntr, 0, l.sentCntr, 0, CNTR_LEN));
    if (!ours) {
      if (verified) {
        this.shell.tell(LINK_COPY, COPY_OF_POR, '');
      } else {
        l.refused = l.refused + 1;
        this.shell.tell(LINK_POR_REFUSED, RESPONSE.CLEAR, '');
      }
      return;
    }
    this.settle();
    if (p.status !== POR.OK || !verified) {
      this.shell.tell(NOTE_REQUEST_REFUSED, p.status, '');
      return;
    }
    if (this.settled === REQUEST_PERMISSION) {
      // Its command and answer buffers live as long as the session (the relay's answer is kept for a repeat).
      const session = new ManagementSession(this.se, this.aes, this.random, new Uint8Array(MAX_COMMAND_LEN), new Uint8Array(MAX_RESPONSE_LEN));
      const rc = session.open(p.data, p.dataOff, p.dataLen, this.now);
      this.lastSw = session.lastSw;
      if (rc !== 0) {
        this.shell.tell(NOTE_PERMISSION_REFUSED, rc, '');
        return;
      }
      try {
        this.shell.manage(session);
      } finally {
        session.end();
      }
      this.shell.tell(NOTE_PERMISSION_DONE, 0, '');
      return;
    }
    // The platform's answer to a download request: "job:<id>", or "busy:" or "refused:" and its reason (download-request.ts).
    let text = '';
    for (let i = 0; i < p.dataLen; i++) text = text + String.fromCharCode(p.data[p.dataOff + i]);
    if (text.indexOf('job:') === 0) this.shell.tell(NOTE_DOWNLOAD_QUEUED, 0, text.substring(4));
    else if (text.indexOf('busy:') === 0) this.shell.tell(NOTE_DOWNLOAD_REFUSED, DOWNLOAD_BUSY, text.substring(5));
    else this.shell.tell(NOTE_DOWNLOAD_REFUSED, DOWNLOAD_REFUSED, text.indexOf('refused:') === 0 ? text.substring(8) : text);
  }

  private ask(kind: number, tar: number, data: Uint8Array, len: number, nowSeconds: number): boolean {
    if (this.pending !== REQUEST_NONE || this.link.request(tar, data, 0, len) !== REQUEST_SENT) return false;
    this.pending = kind;
    this.pendingTar = tar;
    this.deadline = nowSeconds + this.porTimeoutSeconds;
    return true;
  }

  /** The request is over: no PoR is awaited any more. */
  private settle(): void {
    this.settled = this.pending;
    this.pending = REQUEST_NONE;
  }
}
