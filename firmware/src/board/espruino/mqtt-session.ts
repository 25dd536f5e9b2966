/**
 * The board's broker connection (docs/link.md "Topics and MQTT"): Espruino's MQTT module over
 * require('net'), client id = device id, QoS 1 on tapcard/v1/<id>/up and /down, clean_session false
 * so frames the platform sent while the board was away arrive when it returns. Frames travel as
 * binary strings (one character per octet). It waits for Wi-Fi (joined by the Wifi module from
 * wifi.save()) and connects again after a drop, backing off from 2 s to 60 s.
 */
import type { BrokerSettings } from './provisioning';
import { type EspruinoMqttClient, type EspruinoMqttPublished, mqttModule, setTimer, wifi } from './espruino-api';

const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 60000;
const KEEP_ALIVE_S = 60;
const QOS1 = { qos: 1 };

const SCHEME = 'mqtt://';

/**
 * mqtt://HOST[:PORT][/] -> host and port (1883 by default); null for anything else (mqtts is not on
 * the board). Written without a regular expression: Espruino's has no optional groups.
 */
export function parseBrokerUrl(url: string): { host: string; port: number } | null {
  if (url.substring(0, SCHEME.length) !== SCHEME) return null;
  let rest = url.substring(SCHEME.length);
  if (rest.charAt(rest.length - 1) === '/') rest = rest.substring(0, rest.length - 1);
  const colon = rest.indexOf(':');
  const host = colon < 0 ? rest : rest.substring(0, colon);
  if (host === '' || host.indexOf('/') >= 0) return null;
  if (colon < 0) return { host, port: 1883 };
  const digits = rest.substring(colon + 1);
  if (digits === '' || digits.length > 5) return null;
  for (let i = 0; i < digits.length; i++) if (digits.charCodeAt(i) < 0x30 || digits.charCodeAt(i) > 0x39) return null;
  return { host, port: parseInt(digits, 10) };
}

export class MqttSession {
  /** 'waiting for Wi-Fi', 'connecting', 'online', 'offline' or why it cannot start. */
  state = 'starting';
  lastError = '';
  framesIn = 0;
  framesOut = 0;
  /** Frames not sent because the broker was away (the platform sends again; requests time out). */
  framesDropped = 0;
  private client: EspruinoMqttClient | null = null;
  private retryMs = RETRY_FIRST_MS;
  private readonly frame: Uint8Array;

  constructor(
    readonly deviceId: string,
    readonly broker: BrokerSettings,
    private readonly onFrame: (frame: Uint8Array, len: number) => void,
  ) {
    this.frame = new Uint8Array(broker.frameSize);
  }

  start(): void {
    const where = parseBrokerUrl(this.broker.url);
    if (where === null) {
      this.state = 'not started: broker ' + this.broker.url + ' is not mqtt://HOST:PORT';
      return;
    }
    const w = wifi();
    if (w !== null && w.getIP().ip === '0.0.0.0') {
      this.state = 'waiting for Wi-Fi';
      this.retry();
      return;
    }
    let c: EspruinoMqttClient;
    try {
      c = mqttModule().create(where.host, {
        client_id: this.deviceId,
        keep_alive: KEEP_ALIVE_S,
        port: where.port,
        clean_session: false,
        username: this.broker.username,
        password: this.broker.password,
      });
    } catch (err) {
      // the MQTT module lives in a Storage file named MQTT (docs/board.md "Wi-Fi and broker")
      this.state = 'not started: ' + (err as Error).message;
      return;
    }
    this.state = 'connecting';
    this.client = c;
    const session = this;
    c.on('connected', () => {
      session.state = 'online';
      session.retryMs = RETRY_FIRST_MS;
      c.subscribe(session.broker.downTopic, QOS1);
    });
    // The handlers' bodies here rather than methods of their own (~4 JsVars of definitions each)
    c.on('publish', (p: EspruinoMqttPublished) => {
      const m = p.message;
      const f = session.frame;
      if (p.topic !== session.broker.downTopic || m.length === 0 || m.length > f.length) return;
      for (let i = 0; i < m.length; i++) f[i] = m.charCodeAt(i) & 0xff;
      session.framesIn++;
      session.onFrame(f, m.length);
    });
    c.on('disconnected', () => {
      if (session.client === null) return;
      session.client = null;
      session.state = 'offline';
      session.retry();
    });
    c.on('error', (e: unknown) => {
      session.lastError = String(e);
    });
    c.connect();
  }

  /** Publishes one frame on the up topic; counted as dropped while offline. */
  send(frame: Uint8Array): void {
    const c = this.client;
    if (c === null || this.state !== 'online') {
      this.framesDropped++;
      return;
    }
    let text = '';
    for (let i = 0; i < frame.length; i++) text += String.fromCharCode(frame[i]);
    c.publish(this.broker.upTopic, text, QOS1);
    this.framesOut++;
  }

  private retry(): void {
    const session = this;
    setTimer(this.retryMs, () => session.start());
    this.retryMs = Math.min(2 * this.retryMs, RETRY_MAX_MS);
  }
}
