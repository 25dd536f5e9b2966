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
 * management session lives only inside the event that opened it. Times are Unix seconds.
 */
import type { CipherFactory } from '../crypto/block-cipher';
import type { CounterStore } from '../link/counter';
import { DeviceLink, type LinkSink } from '../link/device-link';
import type { LinkKeyset } from '../link/keyset';
import { POR } from '../link/por-status';
import type { SecureElement } from '../se/secure-element';
import type { Random } from '../ports/random';
import { DownloadRelay, RELAY_ANSWER_MAX } from './download';
import { APP_ID_MAX, writeDownloadRequest } from './download-request';
import { ManagementSession } from './management-session';
import { SE_SERIAL_LEN } from './permission';
import {
  NOTE_DOWNLOAD_QUEUED, NOTE_DOWNLOAD_REFUSED, NOTE_INSTALLED, NOTE_NO_ANSWER, NOTE_PERMISSION_DONE, NOTE_PERMISSION_REFUSED,
  NOTE_RELAYED, NOTE_REQUEST_REFUSED, REQUEST_DOWNLOAD, REQUEST_NONE, REQUEST_PERMISSION,
} from './mcu-notes';
import { TAR_DOWNLOAD_REQUEST, TAR_MCU_RELAY, TAR_PERMISSION } from './tars';

/** The actions an MCU emits; the board and the host terminal each implement them. */
export interface McuShell extends LinkSink {
  manage(session: ManagementSession): void;
}

export class Mcu {
  readonly link: DeviceLink;
  readonly relay: DownloadRelay;
  readonly session: ManagementSession;
  /** The request waiting for its PoR (REQUEST_*), and until when. */
  pending = REQUEST_NONE;
  /** The last request that got its answer or was given up. */
  settled = REQUEST_NONE;
  private deadline = 0;
  private now = 0;
  private readonly request = new Uint8Array(APP_ID_MAX);

  constructor(
    private readonly se: SecureElement,
    keys: LinkKeyset,
    up: CounterStore,
    down: CounterStore,
    frameSize: number,
    aes: CipherFactory,
    random: Random,
    private readonly porTimeoutSeconds: number,
    private readonly shell: McuShell,
  ) {
    this.relay = new DownloadRelay(se);
    this.session = new ManagementSession(se, aes, random, this.relay.work, this.relay.rsp);
    random.fill(this.request, 0, 1);
    this.link = new DeviceLink(keys, up, down, TAR_MCU_RELAY, this, shell, RELAY_ANSWER_MAX, frameSize, this.request[0]);
  }

  receive(frame: Uint8Array, len: number, nowSeconds: number): void {
    this.now = nowSeconds;
    this.link.receive(frame, len, nowSeconds);
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

  /** LinkApp: a relay command from the platform, answered by the SE through the relay (download.ts). */
  command(data: Uint8Array, off: number, len: number, answer: Uint8Array): number {
    const r = this.relay;
    const before = r.state;
    const n = r.handle(data, off, len, answer);
    this.shell.tell(NOTE_RELAYED, answer[0], '');
    if (r.state === 'DONE' && before !== 'DONE' && n > 1 && r.seq + 1 === r.total) this.shell.tell(NOTE_INSTALLED, answer[1], '');
    return n;
  }

  /** LinkApp: the PoR of the waiting request. */
  por(status: number, verified: boolean, data: Uint8Array, off: number, len: number): void {
    this.settle();
    if (status !== POR.OK || !verified) {
      this.shell.tell(NOTE_REQUEST_REFUSED, status, '');
      return;
    }
    if (this.settled === REQUEST_PERMISSION) this.granted(data, off, len);
    else this.downloadAnswer(data, off, len);
  }

  private ask(kind: number, tar: number, data: Uint8Array, len: number, nowSeconds: number): boolean {
    if (this.pending !== REQUEST_NONE || !this.link.request(tar, data, 0, len)) return false;
    this.pending = kind;
    this.deadline = nowSeconds + this.porTimeoutSeconds;
    return true;
  }

  /** The request is over: no PoR is awaited any more. */
  private settle(): void {
    this.settled = this.pending;
    this.pending = REQUEST_NONE;
    this.link.cancel();
  }

  private granted(grant: Uint8Array, off: number, len: number): void {
    const rc = this.session.open(grant, off, len, this.now);
    if (rc !== 0) {
      this.shell.tell(NOTE_PERMISSION_REFUSED, rc, '');
      return;
    }
    try {
      this.shell.manage(this.session);
    } finally {
      this.session.end();
    }
    this.shell.tell(NOTE_PERMISSION_DONE, 0, '');
  }

  /** The platform's answer to a download request: "job:<id>" or its reason for refusing. */
  private downloadAnswer(data: Uint8Array, off: number, len: number): void {
    let text = '';
    for (let i = 0; i < len; i++) text = text + String.fromCharCode(data[off + i]);
    if (text.indexOf('job:') === 0) this.shell.tell(NOTE_DOWNLOAD_QUEUED, 0, text.substring(4));
    else this.shell.tell(NOTE_DOWNLOAD_REFUSED, 0, text);
  }
}
