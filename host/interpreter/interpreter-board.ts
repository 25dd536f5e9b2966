/**
 * The board on the real Espruino interpreter: the exact firmware bundle booting from Storage in
 * `espruino` (2v29, Linux build with ESP32 settings; espruino-binary.ts), with a stand-in PN532 on
 * I2C1 whose chip side is the byte-exact model ../emulator/virtual-pn532.ts, and whose RF side
 * can be a vpcd card (../emulator/rf-card-link.ts), so VpcdReader, GpSession and the pos code tap
 * the SE inside the bundle through the firmware's own PN532 driver.
 *
 *   const board = await InterpreterBoard.start({ stateDir, firmwareFile, provisioning, vpcd });
 *   await board.evaluate('status()');        // { value, output }
 *   board.uncaught();                         // every "Uncaught ..." printed so far
 *   await board.restart();                    // power cycle on the same espruino.flash
 *   await board.stop();
 *
 * Storage (espruino.flash in stateDir, written by the interpreter itself, flash-setup.ts):
 *   .boot0      the stand-in PN532 (standin-script.ts), talking over FIFOs in stateDir
 *   .bootcde    the firmware bundle, stored as Save on Send stores it
 *   tapcard.prov  the provisioning bundle (board-config.ts PROVISIONING_FILE)
 *   MQTT        EspruinoDocs' MQTT.js, read from ../shared/vendor/espruino at run time
 *   loopunit    the calibration loop (loopUnitUs)
 *
 * Measurement API for benches (figures come from getTime() and process.memory(false) inside the
 * interpreter, never from host clocks):
 *   board.meter.apdus / board.meter.onApdu(fn)   per APDU: firmwareUs (firmware time between the
 *        TgGetData response carrying the C-APDU and the TgSetData carrying the R-APDU, stand-in
 *        time taken out), standInUs, standInCalls, peakVars (firmware-meter.ts)
 *   board.meter.totals                          calls, standInUs, outsideUs since start
 *   board.meter.peakVars / resetPeak()          highest firmware JsVars at any stand-in call or
 *        sample: the stand-in's held objects and its call frames left out, as a native I2C1 on a
 *        board holds none (firmware-meter.ts); meter.withStandInPeakVars: the whole interpreter
 *   await board.sampleVars()                    firmware JsVars now (process.memory(false).usage
 *        less the stand-in's held objects), folded into the peaks
 *   await board.loopUnitUs({ from })            µs per iteration of an empty `for` loop in a
 *        function, timed in this run: from 'flash' (the loop runs from Storage, as the firmware's
 *        code does) or 'ram' (typed on the console)
 *   await board.standInVars()                   JsVars the stand-in itself holds (E.getSizeOf)
 *
 * Flash: on this Linux build Storage is a file that is not memory-mapped (targets/linux/
 * jshardware.c): code running from Storage is read through fopen/fread/fclose 16 bytes at a time
 * (src/jsvariterator.h ESPR_JSVAR_FLASH_BUFFER_SIZE), about a million opens per boot, which an
 * ESP32, whose Storage partition is memory-mapped, does not pay. By default the board runs with
 * flash-map.c preloaded, which serves the file from one shared mapping (`flash: 'mapped'`; writes
 * still land in the file at once); `flash: 'file'` runs the interpreter as built. An empty loop
 * from Storage costs about 10 loop units from RAM with 'file'.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROVISIONING_FILE } from '../../firmware/src/board/espruino/board-config';
import { VirtualPn532 } from '../emulator/virtual-pn532';
import { RfCardLink } from '../emulator/rf-card-link';
import { requireEspruinoBinary, VENDORED_MQTT_MODULE } from './espruino-binary';
import { type StorageFileSource, storeFiles } from './flash-setup';
import { type Evaluation, InterpreterProcess } from './interpreter-process';
import { Pn532Bridge } from './pn532-bridge';
import { FirmwareMeter } from './firmware-meter';
import { preloadLibrary, withPreload } from './preload-library';
import { STANDIN_GLOBALS, standInScript } from './standin-script';

export const BOOT_FILE = '.bootcde';
export const STANDIN_FILE = '.boot0';
export const MQTT_MODULE_FILE = 'MQTT';
export const LOOP_UNIT_FILE = 'loopunit';
/** The calibration loop: µs per iteration of an empty `for` loop over a local, in a function. */
const LOOP_UNIT_FUNCTION = '(function(n){var t=getTime();for(var i=0;i<n;i++){}return (getTime()-t)*1e6/n;})';
const DEFAULT_LOOP_ITERATIONS = 10_000;

export interface InterpreterBoardOptions {
  /** Directory holding espruino.flash and the stand-in's FIFOs; created if missing. */
  stateDir: string;
  /** The espruino binary; default TAPCARD_ESPRUINO. */
  binary?: string;
  /** Firmware bundle to store as .bootcde; omitted: boot what Storage holds. */
  firmwareFile?: string;
  /** Provisioning bundle (JSON text) to store as tapcard.prov; omitted: keep what Storage holds. */
  provisioning?: string;
  /** vpcd reader for the RF side (pcscd's vpcd or VpcdReader in direct mode). */
  vpcd?: { host: string; port: number };
  /** 'mapped' (default): Storage served from memory by flash-map.c; 'file': the build's own file I/O. */
  flash?: 'mapped' | 'file';
  bootTimeoutMs?: number;
  onWarning?: (message: string) => void;
}

export class InterpreterBoard {
  readonly stateDir: string;
  readonly binary: string;
  readonly pn532 = new VirtualPn532();
  readonly meter = new FirmwareMeter();
  readonly rf: RfCardLink | null;
  private readonly bridge: Pn532Bridge;
  private readonly bootTimeoutMs: number | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private process: InterpreterProcess | null = null;
  /** Output of earlier runs (before restarts), so uncaught() covers the board's whole life. */
  private earlierOutput = '';

  private constructor(options: InterpreterBoardOptions, binary: string) {
    this.stateDir = path.resolve(options.stateDir);
    this.binary = binary;
    this.bootTimeoutMs = options.bootTimeoutMs;
    this.env = options.flash === 'file' ? process.env : withPreload(process.env, preloadLibrary('flash-map.c'));
    this.bridge = new Pn532Bridge(this.pn532, path.join(this.stateDir, 'pn532.req'), path.join(this.stateDir, 'pn532.ans'));
    this.bridge.on('call', (call) => this.meter.record(call));
    this.bridge.on('error', (err) => options.onWarning?.(`stand-in PN532: ${err.message}`));
    this.rf = options.vpcd === undefined ? null : new RfCardLink(this.pn532, { ...options.vpcd, onWarning: options.onWarning });
  }

  /** Prepares Storage as asked and powers the board on (resolves after the boot code ran). */
  static async start(options: InterpreterBoardOptions): Promise<InterpreterBoard> {
    const board = new InterpreterBoard(options, options.binary ?? requireEspruinoBinary());
    board.install(options);
    board.rf?.start();
    try {
      await board.powerOn();
    } catch (err) {
      await board.stop();
      throw err;
    }
    return board;
  }

  /** The running interpreter's process id (for tools that watch it); undefined while off. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process?.running === true;
  }

  /** Everything the board printed, across restarts. */
  output(): string {
    return this.earlierOutput + (this.process?.output() ?? '');
  }

  /** Every `Uncaught ...` the board printed, across restarts. */
  uncaught(): string[] {
    return this.output().match(/Uncaught .*/g) ?? [];
  }

  /** Raw console input. */
  input(text: string): void {
    this.console().input(text);
  }

  evaluate(expression: string, timeoutMs?: number): Promise<Evaluation> {
    return this.console().evaluate(expression, timeoutMs);
  }

  /** Waits until the output of the current run satisfies `cond`. */
  waitForOutput(cond: (output: string) => boolean, what: string, timeoutMs?: number): Promise<void> {
    return this.console().waitFor(cond, what, timeoutMs);
  }

  /** Power cycle: the interpreter is killed and boots again from the same espruino.flash. */
  async restart(): Promise<void> {
    await this.powerOff();
    await this.powerOn();
  }

  async stop(): Promise<void> {
    await this.powerOff();
    await this.rf?.stop();
  }

  /**
   * Firmware JsVars in use now: process.memory(false).usage (no garbage collection first) less
   * the stand-in's held objects; both figures folded into the meter's peaks.
   */
  async sampleVars(): Promise<number> {
    const usage = (await this.evaluate('process.memory(false).usage')).value as number;
    return this.meter.sample(usage);
  }

  /** µs per iteration of an empty `for` loop timed now; `from` says where its code lives. */
  async loopUnitUs(options: { from: 'flash' | 'ram'; iterations?: number }): Promise<number> {
    const n = options.iterations ?? DEFAULT_LOOP_ITERATIONS;
    const fn = options.from === 'flash' ? `eval(require("Storage").read(${JSON.stringify(LOOP_UNIT_FILE)}))` : LOOP_UNIT_FUNCTION;
    return (await this.evaluate(`${fn}(${n})`)).value as number;
  }

  /** JsVars held by the stand-in's objects, their shared closure and their names in the root (E.getSizeOf). */
  async standInVars(): Promise<number> {
    const names = STANDIN_GLOBALS.map((n) => `global[${JSON.stringify(n)}]`).join(',');
    // the array holding them costs one JsVar plus one per element name; each global's name one
    return (await this.evaluate(`E.getSizeOf([${names}])-1`)).value as number;
  }

  private console(): InterpreterProcess {
    if (this.process === null || !this.process.running) throw new Error('the board is off');
    return this.process;
  }

  private install(options: InterpreterBoardOptions): void {
    fs.mkdirSync(this.stateDir, { recursive: true });
    const files: StorageFileSource[] = [];
    const temp: string[] = [];
    const fromText = (name: string, text: string): void => {
      const hostFile = path.join(this.stateDir, `${name.replace(/^\./, '')}.src`);
      fs.writeFileSync(hostFile, text, 'latin1');
      temp.push(hostFile);
      files.push({ name, hostFile });
    };
    if (!fs.existsSync(path.join(this.stateDir, 'espruino.flash')) || options.firmwareFile !== undefined) {
      fromText(STANDIN_FILE, standInScript(this.bridge.requestFifo, this.bridge.answerFifo));
      fromText(LOOP_UNIT_FILE, LOOP_UNIT_FUNCTION);
      files.push({ name: MQTT_MODULE_FILE, hostFile: VENDORED_MQTT_MODULE });
    }
    if (options.firmwareFile !== undefined) files.push({ name: BOOT_FILE, hostFile: options.firmwareFile });
    if (options.provisioning !== undefined) fromText(PROVISIONING_FILE, options.provisioning);
    try {
      if (files.length > 0) storeFiles(this.binary, this.stateDir, files);
    } finally {
      for (const f of temp) fs.rmSync(f, { force: true });
    }
  }

  private async powerOn(): Promise<void> {
    this.pn532.powerCycle();
    this.bridge.open();
    this.process = await InterpreterProcess.boot(this.binary, this.stateDir, this.env, this.bootTimeoutMs);
  }

  private async powerOff(): Promise<void> {
    const p = this.process;
    if (p === null) return;
    await p.kill();
    this.earlierOutput += p.output();
    this.process = null;
    this.bridge.close();
    this.pn532.powerCycle();
  }
}
