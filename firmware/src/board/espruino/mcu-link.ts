/**
 * The board's shell around the MCU (core/mcu/mcu.ts, the same MCU `tapcard terminal` runs): the
 * link keyed from the provisioning bundle, its counters in Storage, frames over the broker
 * connection (mqtt-session.ts), the clock, and the console. The console asks for a download
 * (download(app)) or for the right to manage the SE (permission()); the board prints what the MCU
 * tells it: the platform's answer, the card installed by the relay, the management session.
 *
 * The MCU, with the link endpoint, the reassembler, the relay and their buffers, exists only
 * while the link has work: it is made by the first frame from the broker or the console's request,
 * and dropped once no request waits for its PoR, no job is announced or being relayed (the relay
 * is not RELAYING), so a boot and a tap hold none of it; the build defines its code only while it
 * exists (tools/firmware/build-firmware.ts LAZY_PARTS, linkPart). While it exists the PN532 side
 * is stopped and dropped (card-side.ts: a tap would end the session a job or a permission runs on
 * the SE), so the two never hold RAM at once; it starts again when the MCU goes. A platform that
 * falls silent half way through a job (it died, or gave the job up) would keep the board from
 * being a card for good, so an MCU that has heard nothing from the platform for the bundle's
 * link.quietSeconds gives the job up: the SE's session ends, the MCU is dropped, the card is back.
 * A platform that comes back later finds the job as after a power cut of the board. What outlives
 * the MCU here: the link keys (keyed engines), the counters (Storage), the broker session, and the
 * figures status() shows.
 * A copy of a command (MQTT QoS 1 redelivery) that arrives after the drop is refused as a replay
 * (CNTR low) instead of answered again; the platform has settled that command and drops the
 * refusal (platform-link.ts), and a command it still awaits it sends again under a new counter.
 */
import { LinkKeyset } from '../../core/link/keyset';
import { TAG_REGISTRY_ENTRY } from '../../core/gp/constants';
import { toHex } from '../../core/hex';
import type { ManagementSession } from '../../core/mcu/management-session';
import { Mcu, type McuShell } from '../../core/mcu/mcu';
import {
  DOWNLOAD_BUSY, MGMT_GRANT_REFUSED, NOTE_DOWNLOAD_QUEUED, NOTE_DOWNLOAD_REFUSED, NOTE_INSTALLED, NOTE_NO_ANSWER, NOTE_PERMISSION_DONE,
  NOTE_PERMISSION_REFUSED, NOTE_REQUEST_REFUSED, REQUEST_NONE, REQUEST_PERMISSION,
} from '../../core/mcu/mcu-notes';
import type { CounterStore } from '../../core/link/counter';
import { MAX_RESPONSE_LEN, type SecureElement } from '../../core/se/secure-element';
import { LINK_COUNTER_FILES, POR_TIMEOUT_MS } from './board-config';
import { aes, type EspruinoStorage, memory, nowSeconds, setEvery, setTimer } from './espruino-api';
import { EspruinoAesCipher } from './espruino-aes';
import { espruinoRandom } from './espruino-random';
import { LinkCounters } from './link-counters';
import { MqttSession } from './mqtt-session';
import type { ProvisioningBundle } from './provisioning';

/** GET STATUS of the applications, TLV answer, any AID: 80 F2 40 02 02 4F 00 00 (GPCS 11.4.2). */
const GET_STATUS_APPS = new Uint8Array([0x80, 0xf2, 0x40, 0x02, 0x02, 0x4f, 0x00, 0x00]);

/** An AES engine for flow 1's management session (made per permission). */
function managementCipher(): EspruinoAesCipher {
  return new EspruinoAesCipher(aes());
}

/** The PN532 side as the link sees it (main.ts): stopped while the link works, started after. */
export interface CardHost {
  pause(): void;
  resume(): void;
}

export class McuLink implements McuShell {
  /** The MCU while the link has work (see above), else null. */
  mcu: Mcu | null = null;
  readonly mqtt: MqttSession;
  /** The outcome of the last download and permission requests, for status(). */
  lastDownload = 'none';
  lastPermission = 'none';
  private app = '';
  /** A download was queued by the platform and its job has not ended: the MCU stays. */
  private jobAwaited = false;
  /** status()'s relay and refusal figures of the MCUs dropped since boot, and the last job's progress. */
  private relayed = 0;
  private refused = 0;
  private job = '';
  private readonly keys: LinkKeyset;
  private readonly up: CounterStore;
  private readonly down: CounterStore;
  /** When the platform was last heard from or asked (seconds), and how long its silence may last. */
  private heard = 0;
  private readonly quietSeconds: number;

  /**
   * No closure is made here (frameSink() makes the broker's): a closure would hold this scope, and
   * with it the bundle (its link keys wiped, its SE part used at boot only) for as long as it lives.
   */
  constructor(
    bundle: ProvisioningBundle,
    private readonly se: SecureElement,
    storage: EspruinoStorage,
    private readonly say: (line: string) => void,
    private readonly card: CardHost,
  ) {
    const native = aes();
    const kic = new EspruinoAesCipher(native);
    const kid = new EspruinoAesCipher(native);
    const keys = bundle.link;
    kic.setKey(keys.kic, 0, keys.kic.length);
    kid.setKey(keys.kid, 0, keys.kid.length);
    keys.kic.fill(0);
    keys.kid.fill(0);
    this.keys = new LinkKeyset(kic, kid, keys.keyIndex);
    this.quietSeconds = keys.quietSeconds;
    const counters = new LinkCounters(storage, LINK_COUNTER_FILES);
    this.up = counters.up;
    this.down = counters.down;
    this.mqtt = new MqttSession(bundle.deviceId, bundle.broker, this.frameSink());
  }

  /**
   * Connects, and checks for a silent platform every half quietSeconds (a job is given up after
   * 1 to 1.5 times quietSeconds of silence). The closure holds this scope only, never an MCU a drop
   * let go; the collection runs after quiet() returned, as in idle().
   */
  start(): void {
    this.mqtt.start();
    const shell = this;
    setEvery(this.quietSeconds * 500, () => {
      if (!shell.quiet()) return;
      memory(); // collects garbage
      shell.card.resume();
    });
  }

  /** The MCU, made when the link gets work (its code is defined with it). */
  private link(): Mcu {
    if (this.mcu === null) {
      this.card.pause();
      memory(); // collects the PN532 side (cycles) before the MCU takes its place
      this.mcu = new Mcu(this.se, this.keys, this.up, this.down, this.mqtt.broker.frameSize, managementCipher, espruinoRandom, POR_TIMEOUT_MS / 1000, this);
    }
    this.heard = nowSeconds();
    return this.mcu;
  }

  /**
   * Drops the MCU once the link has no work left (no request waiting, no job announced or being
   * relayed), keeping what status() shows, and collects its objects, the SE session a job or a
   * permission ended and the code defined for them (reference cycles). The collection runs here,
   * after drop() returned: a local of the frame that dropped it would still hold the MCU.
   */
  private idle(): void {
    if (!this.drop(false)) return;
    memory(); // collects garbage
    this.card.resume();
  }

  /** quiet: the platform fell silent, and a job announced or being relayed no longer keeps the MCU. */
  private drop(quiet: boolean): boolean {
    const m = this.mcu;
    if (m === null || m.pending !== REQUEST_NONE || (!quiet && (this.jobAwaited || m.relay.state === 'RELAYING'))) return false;
    const r = m.relay;
    this.relayed += r.relayed;
    this.refused += m.link.refused;
    if (r.job >= 0) this.job = ', job ' + r.job + ' at ' + (r.seq + 1) + '/' + r.total;
    this.mcu = null;
    return true;
  }

  /**
   * Drops the MCU if the platform has been silent for quietSeconds (a waiting request is given up
   * by its own deadline first), ending the SE's session of a job being relayed.
   */
  private quiet(): boolean {
    const m = this.mcu;
    if (m === null || nowSeconds() - this.heard < this.quietSeconds || m.pending !== REQUEST_NONE) return false;
    const relaying = m.relay.state === 'RELAYING';
    if (relaying) this.se.endSession();
    if (this.jobAwaited || relaying) {
      this.say('download: ' + (this.lastDownload = 'job ' + m.relay.job + ' given up, no word from the platform for ' + this.quietSeconds + ' s'));
    }
    this.jobAwaited = false;
    return this.drop(true);
  }

  /** Frames from the broker go to the MCU. */
  private frameSink(): (frame: Uint8Array, len: number) => void {
    const shell = this;
    return (frame, len) => {
      shell.link().receive(frame, len, nowSeconds());
      shell.idle();
    };
  }

  /** Console download(app): asks the platform to install an application; it answers with a job. */
  requestDownload(app: string): void {
    const rc = this.mqtt.state === 'online' ? this.link().requestDownload(String(app), nowSeconds()) : -2;
    if (rc === -1) this.say('download: bad application id');
    else if (this.sent('download', rc === 0)) this.lastDownload = (this.app = app) + ' requested';
    this.idle();
  }

  /** Console permission(): flow 1, the platform's grant opens an SCP03 session with the SE. */
  requestPermission(): void {
    if (this.sent('permission', this.mqtt.state === 'online' && this.link().requestPermission(nowSeconds()))) this.lastPermission = 'requested';
    this.idle();
  }

  sendFrame(frame: Uint8Array): void {
    this.mqtt.send(frame);
  }

  /**
   * The session is open with the granted keys: reads the SE's applications (GET STATUS under
   * C-MAC, C-DEC, R-MAC, R-ENC) and counts their registry entries (GPCS 11.4.2, tag E3). The
   * answer's buffer is made here, once a permission: a board that is never granted one does not
   * hold it.
   */
  manage(session: ManagementSession): void {
    const r = new Uint8Array(MAX_RESPONSE_LEN);
    const m = session.send(GET_STATUS_APPS, GET_STATUS_APPS.length, r);
    let apps = 0;
    // Each entry is E3 len ..., with a one-octet length (an entry is far below 128 octets).
    for (let p = 0; p + 2 <= m - 2 && r[p] === TAG_REGISTRY_ENTRY; p += 2 + r[p + 1]) apps++;
    this.lastPermission = 'SL 33 session, ' + apps + ' applications, SW ' + (m < 2 ? m : toHex(r, m - 2, 2));
    r.fill(0);
  }

  /** Only while the MCU exists: it is the one that tells. */
  tell(note: number, value: number, text: string): void {
    const mcu = this.mcu as Mcu;
    let d = '';
    let p = '';
    if (note === NOTE_DOWNLOAD_QUEUED) {
      d = this.app + ' job ' + text + ' queued';
      this.jobAwaited = true;
    } else if (note === NOTE_DOWNLOAD_REFUSED) d = this.app + (value === DOWNLOAD_BUSY ? ' busy, try again: ' : ' refused: ') + text;
    else if (note === NOTE_INSTALLED) {
      d = 'job ' + mcu.relay.job + ' installed in slot ' + value;
      this.jobAwaited = false;
    } else if (note === NOTE_PERMISSION_DONE) p = this.lastPermission + ', keys wiped';
    else if (note === NOTE_PERMISSION_REFUSED) p = value === MGMT_GRANT_REFUSED ? 'grant refused' : 'SE refused, SW ' + mcu.lastSw.toString(16);
    else if (note === NOTE_REQUEST_REFUSED || note === NOTE_NO_ANSWER) {
      const why = note === NOTE_NO_ANSWER ? 'no answer' : 'refused by the link, PoR ' + value;
      if (mcu.settled === REQUEST_PERMISSION) p = why;
      else d = why;
    }
    if (d !== '') this.say('download: ' + (this.lastDownload = d));
    if (p !== '') this.say('permission: ' + (this.lastPermission = p));
  }

  /** Reports a request sent (and arms its deadline) or why not. */
  private sent(what: string, ok: boolean): boolean {
    const m = this.mcu;
    this.say(what + ': ' + (ok ? 'requested' : m !== null && m.pending !== 0 ? 'busy' : 'not sent, link ' + this.mqtt.state));
    if (ok) this.armDeadline();
    return ok;
  }

  /** The waiting request's deadline; its closure holds this scope only, never an MCU a drop let go. */
  private armDeadline(): void {
    const shell = this;
    setTimer(POR_TIMEOUT_MS, () => {
      if (shell.mcu === null) return;
      shell.mcu.tick(nowSeconds());
      shell.idle();
    });
  }

  /** status()'s link line. */
  statusText(): string {
    const m = this.mqtt;
    const u = this.mcu;
    const r = u === null ? null : u.relay;
    return (
      m.broker.url + ' as ' + m.deviceId + ', ' + m.state +
      (m.lastError === '' ? '' : ' (last error ' + m.lastError + ')') +
      ', frames ' + m.framesIn + ' in ' + m.framesOut + ' out ' + m.framesDropped + ' dropped, ' +
      (this.refused + (u === null ? 0 : u.link.refused)) + ' refused; relay ' + (this.relayed + (r === null ? 0 : r.relayed)) + ' commands' +
      (r === null ? this.job : r.job < 0 ? '' : ', job ' + r.job + ' at ' + (r.seq + 1) + '/' + r.total) +
      '; download ' + this.lastDownload + '; permission ' + this.lastPermission
    );
  }
}
