/**
 * The MCU on the board (docs/flows.md, the board's host/terminal): the platform link keyed from the
 * provisioning bundle, its counters in Storage, and the download relay between the platform's
 * SCP03 session and the SE (core/mcu/download.ts), over the broker connection (mqtt-session.ts).
 * The console asks for a download (TAR_DOWNLOAD_REQUEST); the platform then drives the install
 * through the relay, and the board prints when the card is in.
 */
import { copy } from '../../core/bytes';
import { LinkKeyset } from '../../core/link/keyset';
import { POR } from '../../core/link/por-status';
import { DownloadRelay, RELAY_ANSWER_MAX } from '../../core/mcu/download';
import { encodeDownloadRequest } from '../../core/mcu/download-request';
import { MAX_COMMAND_LEN } from '../../core/se/secure-element';
import type { SecureElement } from '../../core/se/secure-element';
import { RELAY_HEADER_LEN, RESULT_MALFORMED } from '../../core/mcu/relay-message';
import { TAR_DOWNLOAD_REQUEST, TAR_MCU_RELAY } from '../../core/mcu/tars';
import { LINK_COUNTER_FILES, POR_TIMEOUT_MS } from './board-config';
import { BoardLink } from './board-link';
import { aes, clearTimer, type EspruinoStorage, nowSeconds, setTimer, type TimerHandle } from './espruino-api';
import { EspruinoAesCipher } from './espruino-aes';
import { LinkCounters } from './link-counters';
import { MqttSession } from './mqtt-session';
import type { ProvisioningBundle } from './provisioning';

function hex2(v: number): string {
  return (v < 16 ? '0' : '') + v.toString(16);
}

export class McuLink {
  readonly relay: DownloadRelay;
  readonly link: BoardLink;
  readonly mqtt: MqttSession;
  /** The last download request's outcome, for status(). */
  lastDownload = 'none';
  private readonly relayIn = new Uint8Array(RELAY_HEADER_LEN + MAX_COMMAND_LEN);
  private timer: TimerHandle | null = null;

  constructor(
    private readonly bundle: ProvisioningBundle,
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
    const relay = new DownloadRelay(se);
    this.relay = relay;
    const mcu = this;
    this.mqtt = new MqttSession(bundle.deviceId, bundle.broker, (frame, len) => mcu.link.receive(frame, len, nowSeconds()));
    this.link = new BoardLink(
      new LinkKeyset(kic, kid, keys.keyIndex),
      counters.up,
      counters.down,
      TAR_MCU_RELAY,
      (data, off, len, answer) => mcu.relayCommand(data, off, len, answer),
      RELAY_ANSWER_MAX,
      bundle.broker.frameSize,
      (frame) => mcu.mqtt.send(frame),
    );
  }

  start(): void {
    this.mqtt.start();
  }

  /** Console download(app): asks the platform to install an application; it answers with a job. */
  requestDownload(app: string): void {
    let request: Uint8Array;
    try {
      request = encodeDownloadRequest(String(app));
    } catch (err) {
      this.say('download: ' + (err as Error).message);
      return;
    }
    if (this.mqtt.state !== 'online') {
      this.say('download: link is ' + this.mqtt.state + ', try again when it is online');
      return;
    }
    const mcu = this;
    const sent = this.link.request(TAR_DOWNLOAD_REQUEST, request, request.length, (status, verified, data, off, len) => {
      clearTimer(mcu.timer);
      let text = '';
      for (let i = 0; i < len; i++) text += String.fromCharCode(data[off + i]);
      if (status !== POR.OK || !verified) mcu.lastDownload = app + ' refused by the link (PoR ' + hex2(status) + ')';
      else if (text.indexOf('job:') === 0) mcu.lastDownload = app + ' job ' + text.substring(4) + ' queued';
      else mcu.lastDownload = app + ' refused: ' + text;
      mcu.say('download: ' + mcu.lastDownload);
    });
    if (!sent) {
      this.say('download: ' + (this.link.busy ? 'a request is still waiting for the platform' : 'request not sent'));
      return;
    }
    this.lastDownload = app + ' requested';
    this.say('download: ' + app + ' requested');
    this.timer = setTimer(POR_TIMEOUT_MS, () => {
      mcu.link.cancel();
      mcu.lastDownload = app + ': no answer from the platform';
      mcu.say('download: ' + mcu.lastDownload);
    });
  }

  /** The platform's relay command in data[off, off + len), to the SE (core/mcu/download.ts). */
  private relayCommand(data: Uint8Array, off: number, len: number, answer: Uint8Array): number {
    if (len > this.relayIn.length) {
      answer[0] = RESULT_MALFORMED;
      return 1;
    }
    copy(data, off, this.relayIn, 0, len);
    const before = this.relay.state;
    const n = this.relay.handle(this.relayIn, len, answer);
    if (this.relay.state === 'DONE' && before !== 'DONE' && n > 1) {
      this.lastDownload = 'job ' + this.relay.job + ' installed in slot ' + answer[1];
      this.say('download: ' + this.lastDownload);
    }
    return n;
  }

  /** status()'s link line. */
  statusText(): string {
    const m = this.mqtt;
    return (
      this.bundle.broker.url + ' as ' + this.bundle.deviceId + ', ' + m.state +
      (m.lastError === '' ? '' : ' (last error ' + m.lastError + ')') +
      ', frames ' + m.framesIn + ' in ' + m.framesOut + ' out ' + m.framesDropped + ' dropped, ' +
      this.link.refused + ' refused; relay ' + this.relay.relayed + ' commands' +
      (this.relay.job < 0 ? '' : ', job ' + this.relay.job + ' at ' + (this.relay.seq + 1) + '/' + this.relay.total) +
      '; download ' + this.lastDownload
    );
  }
}
