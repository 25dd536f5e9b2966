/**
 * One run of the emulated Espruino interpreter: a node:vm context holding the globals the firmware
 * and the tools use (print, timers, require('Storage'|'crypto'), I2C1, Serial1, pins, E, process,
 * reset/load), from power-on or reset() until the next reset() or power-off. API-compatible with Espruino on ESP32
 * for what the firmware calls, not interpreter-exact: V8 runs the code (docs/board.md "Emulator").
 *
 * Uncaught exceptions in timer callbacks are printed as Espruino does ("Uncaught Error: ...") and
 * the interpreter carries on.
 */
import crypto from 'node:crypto';
import vm from 'node:vm';
import { crc32 } from '../../firmware/src/core/store/crc32';
import { AllocationCounter } from './allocation-counter';
import { dumpState } from './espruino-dump';
import { EmulatedI2c, type I2cDevice } from './espruino-hardware';
import { EmulatedPins } from './espruino-pins';
import { EmulatedSerial } from './espruino-serial';
import type { EspruinoStorage } from './espruino-storage';
import { formatPrintArgs, formatUncaught } from './espruino-values';
import { mqttModule, netModule, type NetworkHost, wifiModule } from './espruino-network';

/** Espruino firmware version the emulator reports (process.env.VERSION): the interpreter it imitates, vendored in ../shared/vendor/espruino. */
export const EMULATED_VERSION = '2v29';
/** ESP32 board file cap on JsVars (docs/espruino.md "Memory"). */
export const EMULATED_TOTAL_VARS = 16383;

/** What the interpreter needs from the board it runs on. */
export interface RuntimeBoard {
  storage: EspruinoStorage;
  i2cDevices: I2cDevice[];
  wiring: { sda: string; scl: string };
  /** Pin level changes (e.g. the PN532 reset line). */
  onPinLevel(pin: string, high: boolean): void;
  consoleWrite(text: string): void;
  /** reset() and load() from the firmware or the console: done by the board after the current code returns. */
  requestRestart(kind: 'reset' | 'load', file?: string): void;
  setEcho(on: boolean): void;
  serialNumber: string;
}

/** The modules Espruino has built in that the emulator provides (ESP32 build, docs/espruino.md). */
export const EMULATED_MODULES = ['Storage', 'crypto', 'net', 'Wifi'];

function aesCipher(decrypt: boolean, message: Uint8Array, key: Uint8Array, options: { mode?: string; iv?: Uint8Array } | undefined): Buffer {
  const mode = (options?.mode ?? 'CBC').toUpperCase();
  const bits = key.length * 8;
  if (bits !== 128 && bits !== 192 && bits !== 256) throw new Error('Invalid AES key length');
  if (message.length % 16 !== 0) throw new Error('Message must be a multiple of 16 bytes');
  if (mode !== 'ECB' && mode !== 'CBC') throw new Error(`AES mode ${mode} is not emulated (ECB and CBC are)`);
  const iv = mode === 'CBC' ? Buffer.from(options?.iv ?? new Uint8Array(16)) : null;
  const algorithm = `aes-${bits}-${mode.toLowerCase()}`;
  const c = decrypt ? crypto.createDecipheriv(algorithm, key, iv) : crypto.createCipheriv(algorithm, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(message), c.final()]);
}

function bytesOf(v: unknown): Uint8Array {
  if (typeof v === 'string') return Uint8Array.from(v, (ch) => ch.charCodeAt(0) & 0xff);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') return new Uint8Array(v as ArrayBuffer);
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  throw new Error('Expecting a string or array of bytes');
}

interface Timer {
  handle: NodeJS.Timeout;
  callback: unknown;
  /** setInterval's period; null for setTimeout. */
  intervalMs: number | null;
  /** performance.now() when it next fires. */
  due: number;
}

export class EspruinoRuntime {
  readonly context: vm.Context;
  readonly allocations = new AllocationCounter();
  private readonly board: RuntimeBoard;
  private readonly timers = new Map<number, Timer>();
  private pins: EmulatedPins | null = null;
  private readonly builtins = new Set<string>();
  private nextTimerId = 1;
  private alive = true;
  /** Sockets and MQTT clients to close when this interpreter stops. */
  private readonly closers: (() => void)[] = [];

  constructor(board: RuntimeBoard) {
    this.board = board;
    this.context = vm.createContext({});
    this.allocations.install(this.context);
    this.installGlobals();
  }

  get running(): boolean {
    return this.alive;
  }

  /** Runs code at the top level of the interpreter; exceptions propagate to the caller. */
  run(code: string, filename: string): unknown {
    if (!this.alive) throw new Error('interpreter is stopped');
    return vm.runInContext(code, this.context, { filename });
  }

  /** Runs code and reports an exception the way Espruino does, instead of throwing. */
  runReporting(code: string, filename: string): void {
    try {
      this.run(code, filename);
    } catch (err) {
      this.reportUncaught(err);
    }
  }

  reportUncaught(err: unknown): void {
    if (this.alive) this.board.consoleWrite(`${formatUncaught(err)}\r\n`);
  }

  /** Stops every timer; nothing of this interpreter runs afterwards. */
  dispose(): void {
    this.alive = false;
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
    this.pins?.dispose();
    for (const close of this.closers.splice(0)) close();
  }

  private installGlobals(): void {
    const g = vm.runInContext('globalThis', this.context) as { [name: string]: unknown };
    const board = this.board;
    g.global = g;
    // console output turns each "\n" into "\r\n" (src/jsinteractive.c jsiConsolePrintStringVar)
    const print = (...args: unknown[]): void => {
      if (this.alive) board.consoleWrite(`${formatPrintArgs(args).replace(/\n/g, '\r\n')}\r\n`);
    };
    g.print = print;
    g.console = { log: print, info: print, warn: print, error: print, debug: print };
    g.setTimeout = (fn: unknown, ms?: number, ...args: unknown[]) => this.addTimer(fn, ms, args, false);
    g.setInterval = (fn: unknown, ms?: number, ...args: unknown[]) => this.addTimer(fn, ms, args, true);
    g.clearTimeout = g.clearInterval = (id?: number) => this.clearTimer(id);
    g.getTime = () => Date.now() / 1000;
    g.atob = (s: string) => Buffer.from(String(s), 'base64').toString('latin1');
    g.btoa = (s: string) => Buffer.from(String(s), 'latin1').toString('base64');
    g.reset = () => board.requestRestart('reset');
    g.load = (file?: string) => board.requestRestart('load', file);
    g.save = () => {
      throw new Error('save() (RAM image) is not emulated: upload with Save on Send, which writes .bootcde');
    };
    g.echo = (on: unknown) => board.setEcho(Boolean(on));

    // errors of the interpreter's own Error class, so `e instanceof Error` holds in its code
    const ContextError = vm.runInContext('Error', this.context) as ErrorConstructor;
    const pins = new EmulatedPins((name, high) => board.onPinLevel(name, high), (message) => new ContextError(message));
    this.pins = pins;
    pins.install(g);
    const i2c = new EmulatedI2c(board.wiring, board.i2cDevices, this.allocations);
    g.I2C1 = i2c;
    g.Serial = EmulatedSerial;
    g.Serial1 = new EmulatedSerial((bytes) => {
      if (this.alive) board.consoleWrite(bytes);
    });

    g.E = {
      getSerial: () => board.serialNumber,
      // 32 random bits as a signed integer, as Espruino's E.hwRand() returns them (the ESP32 RNG).
      hwRand: () => crypto.randomBytes(4).readInt32LE(0),
      // E.sum: the sum of an array's or a view's elements.
      sum: (values: ArrayLike<number>) => {
        let total = 0;
        for (let i = 0; i < values.length; i++) total += values[i];
        return total;
      },
      // E.mapInPlace(from, to, map, bits): each element of `from` (or each `bits`-bit field of its
      // elements, MSB first, LSB first when bits < 0) looked up in `map` (an array, a view or a
      // function of the value and index) into `to`, while both have elements (src/jswrap_espruino.c).
      mapInPlace: (from: ArrayLike<number>, to: { [i: number]: number; length: number }, map?: ArrayLike<number> | ((v: number, i: number) => number), bits?: number) => {
        if (!ArrayBuffer.isView(from) || !ArrayBuffer.isView(to)) throw new Error('First 2 arguments should be array buffers');
        const bitsFrom = 8 * (from as unknown as Uint8Array).BYTES_PER_ELEMENT;
        let width = bits === undefined ? 0 : Math.trunc(bits);
        const msbFirst = width >= 0;
        if (width < 0) width = -width;
        if (width === 0) width = bitsFrom;
        const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
        let el = 0;
        let have = 0;
        let i = 0;
        for (let j = 0; j < to.length && (i < from.length || have >= width); j++) {
          const index = i;
          while (have < width) {
            const x = from[i++] >>> 0;
            el = msbFirst ? el * 2 ** bitsFrom + x : el + x * 2 ** have;
            have += bitsFrom;
          }
          let v: number;
          if (msbFirst) {
            v = Math.floor(el / 2 ** (have - width)) & mask;
            el = el % 2 ** (have - width);
          } else {
            v = el % 2 ** width;
            el = Math.floor(el / 2 ** width);
          }
          have -= width;
          to[j] = map === undefined ? v : typeof map === 'function' ? map(v, index) : map[v];
        }
      },
      // E.CRC32: CRC-32/ISO-HDLC of an array's or a view's bytes, unsigned.
      CRC32: (values: Uint8Array) => {
        const out = new Uint8Array(4);
        crc32(values, 0, values.length, out, 0);
        return ((out[0] << 24) | (out[1] << 16) | (out[2] << 8) | out[3]) >>> 0;
      },
      setBootCode: (code: string, alwaysExec?: boolean) => {
        board.storage.erase('.bootcde');
        board.storage.erase('.bootrst');
        if (code) board.storage.write(alwaysExec ? '.bootrst' : '.bootcde', String(code));
      },
      dumpStr: () =>
        dumpState({
          global: g,
          builtins: this.builtins,
          timers: [...this.timers].map(([id, t]) => ({ id, callback: t.callback, intervalMs: t.intervalMs, dueInMs: t.due - performance.now() })),
          i2cSetup: i2c.setupOptions,
          pins: pins.all,
          bootCode: board.storage.read('.bootrst') ?? board.storage.read('.bootcde'),
        }),
    };
    g.process = {
      version: EMULATED_VERSION,
      env: {
        VERSION: EMULATED_VERSION,
        BOARD: 'ESP32',
        CONSOLE: 'Serial1',
        MODULES: EMULATED_MODULES.join(','),
        SERIAL: board.serialNumber,
        EMULATED: true,
      },
      memory: () => {
        const usage = this.allocations.liveJsVars();
        return { free: EMULATED_TOTAL_VARS - usage, usage, total: EMULATED_TOTAL_VARS, history: 0, blocksize: 14 };
      },
    };
    const storage = board.storage;
    const cryptoModule = {
      AES: {
        encrypt: (msg: unknown, key: unknown, options?: { mode?: string; iv?: Uint8Array }) =>
          this.allocations.runtimeBuffer(aesCipher(false, bytesOf(msg), bytesOf(key), options)),
        decrypt: (msg: unknown, key: unknown, options?: { mode?: string; iv?: Uint8Array }) =>
          this.allocations.runtimeBuffer(aesCipher(true, bytesOf(msg), bytesOf(key), options)),
      },
    };
    const network: NetworkHost = {
      call: (fn, args) => {
        if (!this.alive || typeof fn !== 'function') return;
        try {
          (fn as (...a: unknown[]) => void)(...args);
        } catch (err) {
          this.reportUncaught(err);
        }
      },
      track: (close) => {
        if (this.alive) this.closers.push(close);
        else close();
      },
    };
    const modules: { [name: string]: object } = {
      Storage: storage,
      crypto: cryptoModule,
      net: netModule(network),
      Wifi: wifiModule(network),
      // a JavaScript module on the board (EspruinoDocs modules/MQTT.js), sent by the uploader
      MQTT: mqttModule(network),
    };
    g.require = (name: string) => {
      if (Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
      throw new Error(`Module ${name} not found`);
    };
    // what E.dumpStr() leaves out: the interpreter's own globals
    for (const name of Object.keys(g)) this.builtins.add(name);
  }

  private addTimer(fn: unknown, ms: number | undefined, args: unknown[], repeat: boolean): number {
    if (typeof fn !== 'function') throw new Error('setTimeout/setInterval: expecting a function');
    const id = this.nextTimerId++;
    const delay = Math.max(0, Number(ms) || 0);
    const fire = (): void => {
      if (!this.alive) return;
      if (!repeat) this.timers.delete(id);
      else timer.due = performance.now() + delay;
      try {
        (fn as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.reportUncaught(err);
      }
    };
    const handle = repeat ? setInterval(fire, delay) : setTimeout(fire, delay);
    const timer: Timer = { handle, callback: fn, intervalMs: repeat ? delay : null, due: performance.now() + delay };
    this.timers.set(id, timer);
    return id;
  }

  private clearTimer(id?: number): void {
    if (id === undefined) return;
    const t = this.timers.get(id);
    if (t === undefined) return;
    if (t.intervalMs !== null) clearInterval(t.handle);
    else clearTimeout(t.handle);
    this.timers.delete(id);
  }
}
