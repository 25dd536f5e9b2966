/**
 * One terminal in-process: the MCU (firmware/src/core/mcu) and the SE core with its
 * flash image in a state directory (or in memory), joined to the platform over a DeviceLinkTransport
 * (MQTT from the provisioning bundle by default). The SE is personalised at first boot with the serial and ISD key
 * set of the bundle, as a factory would; the MCU keeps no ISD key: it gets them through the
 * permission flow and wipes them after each management session.
 *
 *   <dir>/se-flash.bin        the SE's flash (host/flash/file-flash.ts)
 *   <dir>/link-counters.bin   TS 102 225 counters (counter-file.ts)
 *
 * With no state directory both are kept in memory (host/flash/memory-flash.ts, memory-counters.ts):
 * the same SE and the same counter checks, no open file per terminal, nothing after the process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { COPY_OF_POR, LINK_COMMAND_REFUSED, LINK_COPY, LINK_FRAME_REFUSED, LINK_POR_REFUSED } from '../../firmware/src/core/link/link-notes';
import { COPY_OF_LAST } from '../../firmware/src/core/link/answered-command';
import { LinkKeyset } from '../../firmware/src/core/link/keyset';
import { porText } from '../../firmware/src/core/link/por-status';
import { SMS_USER_DATA_MAX } from '../../firmware/src/core/link/udh';
import type { DownloadRelay } from '../../firmware/src/core/mcu/download';
import type { ManagementSession } from '../../firmware/src/core/mcu/management-session';
import { Mcu, type McuShell } from '../../firmware/src/core/mcu/mcu';
import {
  DOWNLOAD_BUSY, NOTE_DOWNLOAD_QUEUED, NOTE_DOWNLOAD_REFUSED, NOTE_INSTALLED, NOTE_NO_ANSWER, NOTE_PERMISSION_DONE, NOTE_PERMISSION_REFUSED,
  NOTE_RELAYED, NOTE_REQUEST_REFUSED,
} from '../../firmware/src/core/mcu/mcu-notes';
import { BUILT_IN_APPLET_CLASSES } from '../../firmware/src/core/applets/built-in';
import { SecureElement } from '../../firmware/src/core/se/secure-element';
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';
import { NobleAes } from '../../net/crypto/noble-aes';
import { DesTables, WordDes, WordTripleDes, buildDesTables } from '../../firmware/src/board/espruino/word-des';
import type { CipherFactory } from '../../firmware/src/core/crypto/block-cipher';
import { MqttDeviceTransport } from '../../net/mqtt/mqtt-transport';
import { killPoint } from '../../contracts/kill-point';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import type { CounterStore } from '../../firmware/src/core/link/counter';
import type { Flash } from '../../firmware/src/core/ports/flash';
import { FileFlash } from '../flash/file-flash';
import { MemoryFlash } from '../flash/memory-flash';
import { DEFAULT_FLASH_PAGES, STATE_FILE, nodeRandom } from '../se/virtual-se';
import { readCards, type TerminalCard } from './cards';
import { fileCounters, type CounterFile } from './counter-file';
import { memoryCounters } from './memory-counters';

export type TerminalLog = (event: string, detail?: Record<string, unknown>) => void;

export interface TerminalOptions {
  bundle: ProvisioningBundle;
  /**
   * Where the SE's flash and the link counters are kept across restarts; null: in memory, gone when
   * the terminal closes (benches with thousands of terminals, none of which is ever restarted).
   */
  stateDir: string | null;
  /** Broker URL instead of the bundle's. */
  brokerUrl?: string;
  /** A ready transport (tests, in-memory network) instead of MQTT. */
  transport?: DeviceLinkTransport;
  log?: TerminalLog;
  /** How long a request waits for the platform's PoR (default 30 s). */
  porTimeoutMs?: number;
  /** Pages of 4 KB in the SE's flash when it is created (default DEFAULT_FLASH_PAGES). */
  flashPages?: number;
  /**
   * The SE core's block ciphers (default CORE_SE_CIPHERS, the board SE's own). HOST_SE_CIPHERS runs
   * the same SE on the host's table-driven engines, for fleets whose SE speed is not the figure
   * measured (the platform bench's simulated terminals).
   */
  seCiphers?: SeCiphers;
}

/** The engines behind the SE core's CipherFactory seams (SecureElementConfig's aes, des and tripleDes). */
export interface SeCiphers {
  aes: CipherFactory;
  des: CipherFactory;
  tripleDes: CipherFactory;
}

/** The portable core's SoftAes and SoftDes, which the board's SE runs: what a terminal's SE speed means. */
export const CORE_SE_CIPHERS: SeCiphers = {
  aes: () => new SoftAes(),
  des: () => new SoftDes(),
  tripleDes: () => new SoftTripleDes(),
};

/** DES tables for HOST_SE_CIPHERS, built once (6 KB), with the JavaScript stand-ins for E.mapInPlace and E.sum. */
const WORD_DES_TABLES = new DesTables(buildDesTables().buffer);

/**
 * The same ciphers, bytes in and out as CORE_SE_CIPHERS, several times faster: AES on @noble/ciphers'
 * 32-bit lookup tables (net/crypto/noble-aes.ts), DES on the board SE's own word-wide engine (board/espruino/word-des.ts).
 */
export const HOST_SE_CIPHERS: SeCiphers = {
  aes: () => new NobleAes(),
  des: () => new WordDes(WORD_DES_TABLES),
  tripleDes: () => new WordTripleDes(WORD_DES_TABLES, false),
};

export class TerminalError extends Error {
  constructor(
    message: string,
    /** UNAVAILABLE: the platform cannot take the request now (its database is away); asking again later can succeed. */
    readonly code: 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'SE_REFUSED' | 'LINK_REFUSED' | 'NO_ANSWER' | 'CLOSED',
  ) {
    super(message);
  }
}

/** The request the user is waiting on: its outcome settles the promise. */
interface Waiting {
  resolve(value: unknown): void;
  reject(err: Error): void;
  work?: (session: ManagementSession) => unknown;
  result?: unknown;
  error?: unknown;
}

const POR_TIMEOUT_MS = 30_000;

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The host's shell around the MCU (core/mcu/mcu.ts, the same MCU the board runs): the SE with its
 * flash in the state directory, frames over a DeviceLinkTransport, promises for the user's
 * requests (one at a time, in order), and the log.
 */
export class Terminal implements McuShell {
  readonly mcu: Mcu;
  private waiting: Waiting | null = null;
  /** The session the MCU handed to manage(), until its NOTE_PERMISSION_DONE (which checks its keys are wiped). */
  private managed: ManagementSession | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Frames waiting for the counters to be durable, the last one's turn; null when none waits. */
  private held: Promise<void> | null = null;
  /** The SE's serial in hex, for the log (made once, not per permission). */
  private readonly seSerial: string;

  private constructor(
    readonly deviceId: string,
    readonly se: SecureElement,
    private readonly transport: DeviceLinkTransport,
    b: ProvisioningBundle,
    private readonly state: TerminalState,
    private readonly log: TerminalLog,
    private readonly porTimeoutMs: number,
  ) {
    this.seSerial = toHex(se.serial);
    // The MCU's AES on the host's table AES, as the board's is Espruino's native AES (short calls
    // under many keys: a link packet of a few blocks, a management session's keys; node:crypto
    // costs more per call and per key). The SE's ciphers are seCiphers'.
    const kic = new NobleAes();
    const kid = new NobleAes();
    const kicKey = fromHex(b.link.kic);
    const kidKey = fromHex(b.link.kid);
    kic.setKey(kicKey, 0, kicKey.length);
    kid.setKey(kidKey, 0, kidKey.length);
    kicKey.fill(0);
    kidKey.fill(0);
    this.mcu = new Mcu(
      se,
      new LinkKeyset(kic, kid, b.link.keyIndex),
      state.counters.up,
      state.counters.down,
      b.broker.frameSize ?? SMS_USER_DATA_MAX,
      () => new NobleAes(),
      nodeRandom,
      Math.ceil(porTimeoutMs / 1000),
      this,
    );
    transport.onFrame((frame) => {
      if (!this.closed) this.mcu.receive(frame, frame.length, nowSeconds());
    });
  }

  static async start(opts: TerminalOptions): Promise<Terminal> {
    const b = opts.bundle;
    const log = opts.log ?? (() => {});
    const state = openTerminalState(b, opts.stateDir, opts.flashPages ?? DEFAULT_FLASH_PAGES);
    let transport: DeviceLinkTransport;
    let se: SecureElement;
    try {
      se = bootSe(b, state.flash, opts.seCiphers ?? CORE_SE_CIPHERS);
      const url = opts.brokerUrl ?? b.broker.url;
      transport =
        opts.transport ??
        (await MqttDeviceTransport.connect(
          b.deviceId,
          url.startsWith('mqtts:')
            ? { url, clientId: b.deviceId, tls: { caPem: b.tls.caCertPem, certPem: b.tls.certPem, keyPem: b.tls.keyPem } }
            : { url, clientId: b.deviceId, username: b.broker.username, password: b.broker.password },
          { frameSize: b.broker.frameSize, log: (e, d) => log(`mqtt.${e}`, d) },
        ));
    } catch (err) {
      state.close();
      throw err;
    }
    const t = new Terminal(b.deviceId, se, transport, b, state, log, opts.porTimeoutMs ?? POR_TIMEOUT_MS);
    log('terminal.started', { deviceId: b.deviceId, seSerial: toHex(se.serial) });
    return t;
  }

  get relay(): DownloadRelay {
    return this.mcu.relay;
  }

  /**
   * Flow 1: asks the platform for the right to manage the SE; the MCU opens SCP03 with the grant,
   * `work` runs in the session, and the MCU wipes the keys whatever happens.
   */
  withPermission<T>(work: (session: ManagementSession) => T): Promise<T> {
    return this.ask<T>({ work }, () => this.mcu.requestPermission(nowSeconds()));
  }

  /** Flow 2 from the terminal's side: the user picked an application; the platform answers with its job id. */
  requestDownload(applicationId: string): Promise<string> {
    return this.ask<string>({}, () => {
      const rc = this.mcu.requestDownload(applicationId, nowSeconds());
      if (rc === -1) throw new TerminalError(`application id '${applicationId}' must be 1..32 characters of a-z, 0-9 and -`, 'PERMISSION_DENIED');
      return rc === 0;
    });
  }

  cards(): TerminalCard[] {
    return readCards(this.se);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.finish(new TerminalError('terminal closed', 'CLOSED'));
    this.mcu.link.keys.wipe();
    await this.transport.close();
    this.se.powerOff();
    this.state.close();
  }

  /**
   * A frame leaves once the counters written before it are on disk (counter-file.ts whenDurable):
   * the PoR of a command once its counter is, a request once the counter it was sealed under is.
   * The sync was started when the counter was written, so the MCU and the SE have worked on the
   * command meanwhile. Frames leave in the order they were given.
   */
  sendFrame(frame: Uint8Array): void {
    const copy = frame.slice();
    const durable = this.state.counters.whenDurable();
    if (durable === null && this.held === null) return this.send(copy);
    const after = this.held ?? Promise.resolve();
    const held: Promise<void> = after
      .then(() => durable)
      .then(
        () => {
          if (this.held === held) this.held = null;
          this.send(copy);
        },
        (err: Error) => {
          if (this.held === held) this.held = null;
          this.log('link.send.failed', { error: `frame held back: ${err.message}` });
        },
      );
    this.held = held;
  }

  private send(frame: Uint8Array): void {
    if (this.closed) return;
    this.transport.send(frame).catch((err: Error) => this.log('link.send.failed', { error: err.message }));
  }

  manage(session: ManagementSession): void {
    this.managed = session;
    const w = this.waiting;
    this.log('terminal.permission.open', { seSerial: this.seSerial });
    if (w === null || w.work === undefined) return;
    try {
      w.result = w.work(session);
    } catch (err) {
      w.error = err;
    }
  }

  tell(note: number, value: number, text: string): void {
    const r = this.mcu.relay;
    switch (note) {
      case LINK_FRAME_REFUSED:
        return this.log('link.frame.refused', { code: value });
      case LINK_COMMAND_REFUSED:
        return this.log('link.command.refused', { status: porText(value) });
      case LINK_POR_REFUSED:
        return this.log('link.por.refused', { code: value });
      case LINK_COPY:
        return this.log('link.copy', { of: value === COPY_OF_POR ? 'PoR, dropped' : value === COPY_OF_LAST ? 'last command, PoR sent again' : 'earlier command, dropped' });
      case NOTE_RELAYED:
        this.log('terminal.download.progress', { job: r.job, seq: r.seq, total: r.total, state: r.state });
        return killPoint('terminal.after-relay');
      case NOTE_INSTALLED:
        return this.log('terminal.download.installed', { job: r.job, slot: value });
      case NOTE_PERMISSION_DONE: {
        this.log('terminal.permission.closed', { keysWiped: this.managed?.state === 'IDLE' });
        this.managed = null;
        const w = this.waiting;
        if (w !== null && w.error !== undefined) return this.finish(w.error as Error);
        return this.finish(null, w?.result);
      }
      case NOTE_PERMISSION_REFUSED:
        return this.finish(new TerminalError(`permission not usable (code ${value}, SW ${this.mcu.lastSw.toString(16)})`, 'PERMISSION_DENIED'));
      case NOTE_DOWNLOAD_QUEUED:
        return this.finish(null, text);
      case NOTE_DOWNLOAD_REFUSED:
        if (value === DOWNLOAD_BUSY) return this.finish(new TerminalError(`the platform cannot take the download now: ${text}`, 'UNAVAILABLE'));
        return this.finish(new TerminalError(`download request refused: ${text}`, 'PERMISSION_DENIED'));
      case NOTE_REQUEST_REFUSED:
        return this.finish(new TerminalError(`request refused by the link: ${porText(value)}`, 'LINK_REFUSED'));
      case NOTE_NO_ANSWER:
        return this.finish(new TerminalError(`no answer from the platform within ${this.porTimeoutMs} ms`, 'NO_ANSWER'));
      default:
        return undefined;
    }
  }

  /** Runs one request after the ones before it; `send` returns false when nothing could be sent. */
  private ask<T>(waiting: Omit<Waiting, 'resolve' | 'reject'>, send: () => boolean): Promise<T> {
    const run = (): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (this.closed) return reject(new TerminalError('terminal closed', 'CLOSED'));
        this.waiting = { ...waiting, resolve: resolve as (v: unknown) => void, reject };
        let sent: boolean;
        try {
          sent = send();
        } catch (err) {
          this.waiting = null;
          return reject(err);
        }
        if (!sent) return this.finish(new TerminalError('request not sent (up counter exhausted or too long for the link)', 'LINK_REFUSED'));
        this.armTimer(Math.ceil(this.porTimeoutMs / 1000) * 1000);
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The MCU gives the request up once its deadline (whole seconds) has passed; until then, check again. */
  private armTimer(ms: number): void {
    this.timer = setTimeout(() => {
      this.mcu.tick(nowSeconds());
      if (this.waiting !== null) this.armTimer(100);
    }, ms);
  }

  private finish(err: Error | null, value?: unknown): void {
    const w = this.waiting;
    this.waiting = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (w === null) return;
    if (err !== null) w.reject(err);
    else w.resolve(value);
  }
}

export const SERIAL_FILE = 'se-serial.txt';

/** What a terminal keeps: its SE's flash and its link counters; close() releases their files. */
interface TerminalState {
  flash: Flash;
  /** whenDurable(): null when every counter written is on disk, else when it will be (counter-file.ts). */
  counters: { up: CounterStore; down: CounterStore; whenDurable(): Promise<void> | null };
  close(): void;
}

/** The state directory's flash image (created erased) and counter file, or both in memory when dir is null. */
function openTerminalState(b: ProvisioningBundle, dir: string | null, flashPages: number): TerminalState {
  if (dir === null) return { flash: new MemoryFlash(flashPages), counters: memoryCounters(), close: () => {} };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, SERIAL_FILE), b.se.serial + '\n');
  const flash = new FileFlash(path.join(dir, STATE_FILE), flashPages);
  let counters: CounterFile;
  try {
    counters = fileCounters(dir);
  } catch (err) {
    flash.close();
    throw err;
  }
  return {
    flash,
    counters,
    close: () => {
      counters.close();
      flash.close();
    },
  };
}

/** The SE with the bundle's serial and ISD key set (first boot only; later boots keep the store's). */
function bootSe(b: ProvisioningBundle, flash: Flash, ciphers: SeCiphers): SecureElement {
  const se = new SecureElement({
    flash,
    random: nodeRandom,
    aes: ciphers.aes,
    des: ciphers.des,
    tripleDes: ciphers.tripleDes,
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
    ...CORE_SE_CIPHERS,
    serial: fromHex(fs.readFileSync(serialFile, 'utf8').trim()),
    appletClasses: BUILT_IN_APPLET_CLASSES,
    // Only used to personalise a blank store, which an existing state never is.
    initialKeys: { kvn: 0x30, enc: none, mac: none, dek: none },
  });
  se.boot();
  return se;
}
