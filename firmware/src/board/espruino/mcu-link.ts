/**
 * The board's shell around the MCU (core/mcu/mcu.ts, the same MCU `tapcard terminal` runs): the
 * link keyed from the provisioning bundle, its counters in Storage, frames over the broker
 * connection (mqtt-session.ts), the clock, and the console. The console asks for a download
 * (download(app)) or for the right to manage the SE (permission()); the board prints what the MCU
 * tells it: the platform's answer, the card installed by the relay, the management session.
 */
import { LinkKeyset } from '../../core/link/keyset';
import { TAG_REGISTRY_ENTRY } from '../../core/gp/constants';
import { toHex } from '../../core/hex';
import type { ManagementSession } from '../../core/mcu/management-session';
import { Mcu, type McuShell } from '../../core/mcu/mcu';
import {
  DOWNLOAD_BUSY, MGMT_GRANT_REFUSED, NOTE_DOWNLOAD_QUEUED, NOTE_DOWNLOAD_REFUSED, NOTE_INSTALLED, NOTE_NO_ANSWER, NOTE_PERMISSION_DONE,
  NOTE_PERMISSION_REFUSED, NOTE_REQUEST_REFUSED, REQUEST_PERMISSION,
} from '../../core/mcu/mcu-notes';
import { MAX_RESPONSE_LEN, type SecureElement } from '../../core/se/secure-element';
import { LINK_COUNTER_FILES, POR_TIMEOUT_MS } from './board-config';
import { aes, type EspruinoStorage, memory, nowSeconds, setTimer } from './espruino-api';
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

export class McuLink implements McuShell {
  readonly mcu: Mcu;
  readonly mqtt: MqttSession;
  /** The outcome of the last download and permission requests, for status(). */
  lastDownload = 'none';
  lastPermission = 'none';
  private app = '';

  /**
   * No closure is made here (frameSink() makes the broker's): a closure would hold this scope, and
   * with it the bundle (its link keys wiped, its SE part used at boot only) for as long as it lives.
   */
  constructor(
    bundle: ProvisioningBundle,
    se: SecureElement,
    storage: EspruinoStorage,
    private readonly say: (line: string) => void,
  ) {
    const native = aes();
    const kic = new EspruinoAesCipher(native);
    const kid = new EspruinoAesCipher(native);
    const keys = bundle.link;
    kic.setKey(keys.kic, 0, keys.kic.length);
    kid.setKey(keys.kid, 0, keys.kid.length);
    keys.kic.fill(0);
    keys.kid.fill(0);
    const counters = new LinkCounters(storage, LINK_COUNTER_FILES);
    this.mqtt = new MqttSession(bundle.deviceId, bundle.broker, this.frameSink());
    this.mcu = new Mcu(
      se,
      new LinkKeyset(kic, kid, keys.keyIndex),
      counters.up,
      counters.down,
      bundle.broker.frameSize,
      managementCipher,
      espruinoRandom,
      POR_TIMEOUT_MS / 1000,
      this,
    );
  }

  start(): void {
    this.mqtt.start();
  }

  /** Frames from the broker go to the MCU. */
  private frameSink(): (frame: Uint8Array, len: number) => void {
    const shell = this;
    return (frame, len) => shell.mcu.receive(frame, len, nowSeconds());
  }

  /** Console download(app): asks the platform to install an application; it answers with a job. */
  requestDownload(app: string): void {
    const rc = this.mqtt.state === 'online' ? this.mcu.requestDownload(String(app), nowSeconds()) : -2;
    if (rc === -1) this.say('download: bad application id');
    else if (this.sent('download', rc === 0)) this.lastDownload = (this.app = app) + ' requested';
  }

  /** Console permission(): flow 1, the platform's grant opens an SCP03 session with the SE. */
  requestPermission(): void {
    if (this.sent('permission', this.mqtt.state === 'online' && this.mcu.requestPermission(nowSeconds()))) this.lastPermission = 'requested';
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

  tell(note: number, value: number, text: string): void {
    let d = '';
    let p = '';
    if (note === NOTE_DOWNLOAD_QUEUED) d = this.app + ' job ' + text + ' queued';
    else if (note === NOTE_DOWNLOAD_REFUSED) d = this.app + (value === DOWNLOAD_BUSY ? ' busy, try again: ' : ' refused: ') + text;
    else if (note === NOTE_INSTALLED) d = 'job ' + this.mcu.relay.job + ' installed in slot ' + value;
    else if (note === NOTE_PERMISSION_DONE) p = this.lastPermission + ', keys wiped';
    else if (note === NOTE_PERMISSION_REFUSED) p = value === MGMT_GRANT_REFUSED ? 'grant refused' : 'SE refused, SW ' + this.mcu.lastSw.toString(16);
    else if (note === NOTE_REQUEST_REFUSED || note === NOTE_NO_ANSWER) {
      const why = note === NOTE_NO_ANSWER ? 'no answer' : 'refused by the link, PoR ' + value;
      if (this.mcu.settled === REQUEST_PERMISSION) p = why;
      else d = why;
    }
    // A finished job or permission dropped the SE's session objects and the code defined for them (cycles).
    if (note === NOTE_INSTALLED || note === NOTE_PERMISSION_DONE) memory(); // collects garbage
    if (d !== '') this.say('download: ' + (this.lastDownload = d));
    if (p !== '') this.say('permission: ' + (this.lastPermission = p));
  }

  /** Reports a request sent (and arms its deadline) or why not. */
  private sent(what: string, ok: boolean): boolean {
    this.say(what + ': ' + (ok ? 'requested' : this.mcu.pending !== 0 ? 'busy' : 'not sent, link ' + this.mqtt.state));
    const mcu = this.mcu;
    if (ok) setTimer(POR_TIMEOUT_MS, () => mcu.tick(nowSeconds()));
    return ok;
  }

  /** status()'s link line. */
  statusText(): string {
    const m = this.mqtt;
    const r = this.mcu.relay;
    return (
      m.broker.url + ' as ' + m.deviceId + ', ' + m.state +
      (m.lastError === '' ? '' : ' (last error ' + m.lastError + ')') +
      ', frames ' + m.framesIn + ' in ' + m.framesOut + ' out ' + m.framesDropped + ' dropped, ' +
      this.mcu.link.refused + ' refused; relay ' + r.relayed + ' commands' +
      (r.job < 0 ? '' : ', job ' + r.job + ' at ' + (r.seq + 1) + '/' + r.total) +
      '; download ' + this.lastDownload + '; permission ' + this.lastPermission
    );
  }
}
