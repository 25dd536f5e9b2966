/**
 * One terminal in-process (issue 4 §8): the MCU (firmware/src/core/mcu) and the SE core with its
 * flash image in a state directory, joined to the platform over a DeviceLinkTransport (MQTT from the
 * provisioning bundle by default). The SE is personalised at first boot with the serial and ISD key
 * set of the bundle, as a factory would; the MCU keeps no ISD key: it gets them through the
 * permission flow and wipes them after each management session.
 *
 *   <dir>/se-flash.bin        the SE's flash (host/flash/file-flash.ts)
 *   <dir>/link-counters.json  TS 102 225 counters (counter-file.ts)
 */
import fs from 'node:fs';
import path from 'node:path';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { DownloadRelay, RELAY_ANSWER_MAX } from '../../firmware/src/core/mcu/download';
import { ManagementSession } from '../../firmware/src/core/mcu/management-session';
import { TAR_DOWNLOAD_REQUEST, TAR_MCU_RELAY, TAR_PERMISSION } from '../../firmware/src/core/mcu/tars';
import { BUILT_IN_APPLET_CLASSES } from '../../firmware/src/core/applets/built-in';
import { SecureElement } from '../../firmware/src/core/se/secure-element';
import { POR, porText } from '../../firmware/src/core/link/por-status';
import type { DeviceLinkTransport } from '../../platform-server/src/mqtt/link-transport';
import { MqttDeviceTransport } from '../../platform-server/src/mqtt/mqtt-transport';
import type { ProvisioningBundle } from '../../platform-server/src/pki/bundle';
import { FileFlash } from '../flash/file-flash';
import { DEFAULT_FLASH_PAGES, STATE_FILE, nodeRandom } from '../se/virtual-se';
import { readCards, type TerminalCard } from './cards';
import { fileCounters } from './counter-file';
import { DeviceLink, type TerminalLog } from './device-link';
import { encodeDownloadRequest } from '../../firmware/src/core/mcu/download-request';

export interface TerminalOptions {
  bundle: ProvisioningBundle;
  stateDir: string;
  /** Broker URL instead of the bundle's. */
  brokerUrl?: string;
  /** A ready transport (tests, in-memory network) instead of MQTT. */
  transport?: DeviceLinkTransport;
  log?: TerminalLog;
}

export class TerminalError extends Error {
  constructor(
    message: string,
    readonly code: 'PERMISSION_DENIED' | 'SE_REFUSED' | 'LINK_REFUSED',
  ) {
    super(message);
  }
}

export class Terminal {
  private constructor(
    readonly deviceId: string,
    readonly se: SecureElement,
    readonly relay: DownloadRelay,
    readonly link: DeviceLink,
    private readonly log: TerminalLog,
  ) {}

  static async start(opts: TerminalOptions): Promise<Terminal> {
    const b = opts.bundle;
    const log = opts.log ?? (() => {});
    fs.mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    const se = bootSe(b, opts.stateDir);
    const transport =
      opts.transport ??
      (await MqttDeviceTransport.connect(
        b.deviceId,
        (opts.brokerUrl ?? b.broker.url).startsWith('mqtts:')
          ? { url: opts.brokerUrl ?? b.broker.url, clientId: b.deviceId, tls: { caPem: b.tls.caCertPem, certPem: b.tls.certPem, keyPem: b.tls.keyPem } }
          : { url: opts.brokerUrl ?? b.broker.url, clientId: b.deviceId, username: b.broker.username, password: b.broker.password },
        { frameSize: b.broker.frameSize, log: (e, d) => log(`mqtt.${e}`, d) },
      ));
    const link = new DeviceLink({
      transport,
      keyIndex: b.link.keyIndex,
      kic: fromHex(b.link.kic),
      kid: fromHex(b.link.kid),
      counters: fileCounters(opts.stateDir),
      frameSize: b.broker.frameSize,
      log,
    });
    const relay = new DownloadRelay(se);
    const t = new Terminal(b.deviceId, se, relay, link, log);
    const answer = new Uint8Array(RELAY_ANSWER_MAX);
    link.route(TAR_MCU_RELAY, (data) => {
      const n = relay.handle(data, data.length, answer);
      log('terminal.download.progress', { job: relay.job, seq: relay.seq, total: relay.total, state: relay.state });
      return answer.slice(0, n);
    });
    log('terminal.started', { deviceId: b.deviceId, seSerial: toHex(se.serial) });
    return t;
  }

  /**
   * Flow 1: asks the platform for the right to manage the SE, opens SCP03 with the grant, runs
   * `work` in the session, and wipes the keys whatever happens.
   */
  async withPermission<T>(work: (session: ManagementSession) => T): Promise<T> {
    const session = new ManagementSession(this.se, () => new SoftAes(), nodeRandom);
    session.requested();
    const por = await this.link.request(TAR_PERMISSION, this.se.serial.slice());
    if (por.status !== POR.OK || !por.verified) throw new TerminalError(`permission request refused by the link: ${porText(por.status)}`, 'LINK_REFUSED');
    const rc = session.open(por.data, por.data.length, Math.floor(Date.now() / 1000));
    if (rc !== 0) throw new TerminalError(`permission not usable (code ${rc}, SW ${session.lastSw.toString(16)})`, 'PERMISSION_DENIED');
    this.log('terminal.permission.open', { seSerial: toHex(this.se.serial) });
    try {
      return work(session);
    } finally {
      session.close();
      this.log('terminal.permission.closed', { keysWiped: session.keysWiped() });
    }
  }

  /** Flow 2 from the terminal's side: the user picked an application; the platform answers with its job id. */
  async requestDownload(applicationId: string): Promise<string> {
    const por = await this.link.request(TAR_DOWNLOAD_REQUEST, encodeDownloadRequest(applicationId));
    if (por.status !== POR.OK || !por.verified) throw new TerminalError(`download request refused by the link: ${porText(por.status)}`, 'LINK_REFUSED');
    const text = Buffer.from(por.data).toString('utf8');
    if (!text.startsWith('job:')) throw new TerminalError(`download request refused: ${text}`, 'PERMISSION_DENIED');
    return text.slice(4);
  }

  cards(): TerminalCard[] {
    return readCards(this.se);
  }

  async close(): Promise<void> {
    await this.link.close();
    this.se.powerOff();
  }
}

export const SERIAL_FILE = 'se-serial.txt';

/** The SE with the bundle's serial and ISD key set (first boot only; later boots keep the store's). */
export function bootSe(b: ProvisioningBundle, dir: string): SecureElement {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, SERIAL_FILE), b.se.serial + '\n');
  const se = new SecureElement({
    flash: new FileFlash(path.join(dir, STATE_FILE), DEFAULT_FLASH_PAGES),
    random: nodeRandom,
    aes: () => new SoftAes(),
    des: () => new SoftDes(),
    tripleDes: () => new SoftTripleDes(),
    serial: fromHex(b.se.serial),
    appletClasses: BUILT_IN_APPLET_CLASSES,
    initialKeys: { kvn: b.se.isdKeyVersion, enc: fromHex(b.se.isd.enc), mac: fromHex(b.se.isd.mac), dek: fromHex(b.se.isd.dek) },
  });
  se.boot();
  return se;
}

export class TerminalStateError extends Error {
  readonly code = 'NO_TERMINAL_STATE';
}

/** Opens the SE of an existing state directory (for reading its cards; no key is needed or set). */
export function openSeState(dir: string): SecureElement {
  const serialFile = path.join(dir, SERIAL_FILE);
  if (!fs.existsSync(serialFile) || !fs.existsSync(path.join(dir, STATE_FILE))) {
    throw new TerminalStateError(`no terminal state in ${dir}: run 'tapcard terminal --provision FILE --state ${dir}' first`);
  }
  const none = new Uint8Array(16);
  const se = new SecureElement({
    flash: new FileFlash(path.join(dir, STATE_FILE), DEFAULT_FLASH_PAGES),
    random: nodeRandom,
    aes: () => new SoftAes(),
    des: () => new SoftDes(),
    tripleDes: () => new SoftTripleDes(),
    serial: fromHex(fs.readFileSync(serialFile, 'utf8').trim()),
    appletClasses: BUILT_IN_APPLET_CLASSES,
    // Only used to personalise a blank store, which an existing state never is.
    initialKeys: { kvn: 0x30, enc: none, mac: none, dek: none },
  });
  se.boot();
  return se;
}
