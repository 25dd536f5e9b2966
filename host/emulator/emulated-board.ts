/**
 * The emulated ESP32 + PN532 board: persistent Storage (a file in the state directory), the
 * virtual PN532 on I2C1 with its reset line, the serial console, and the interpreter that
 * power-on, reset() and load() start afresh.
 *
 * Boot as on Espruino (src/jsflash.c jsfLoadBootCodeFromFlash): .boot0 .. .boot3, then .bootrst,
 * or .bootcde when there is no .bootrst and this is a power-on or load(); reset() runs .bootrst
 * only. A boot file Espruino could not load is not run (load-gate.ts). Firmware is installed the way EspruinoTools' Save on Send writes it (1024-byte
 * Storage.write chunks into .bootcde, docs/espruino.md "Uploading").
 */
import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { I2C_SCL_PIN, I2C_SDA_PIN, PN532_RESET_PIN, PROVISIONING_FILE } from '../../firmware/src/board/espruino/board-config';
import { EspruinoConsole } from './espruino-console';
import { EspruinoRuntime, EMULATED_VERSION } from './espruino-runtime';
import { EspruinoStorage } from './espruino-storage';
import { espruinoLoadError } from './load-gate';
import { VirtualPn532 } from './virtual-pn532';

export const BOOT_FILE = '.bootcde';
export const BOOT_FILE_ALWAYS = '.bootrst';
/** EspruinoTools plugins/saveOnSend.js CHUNKSIZE. */
export const UPLOAD_CHUNK = 1024;

export type BoardEvents = {
  /** Console output, as the serial port would carry it. */
  output: [text: string];
  powered: [on: boolean, reason: string];
  /** The boot code finished its top-level run (firmware started). */
  booted: [];
};

interface BoardIdentity {
  serial: string;
}

export class EmulatedBoard extends EventEmitter<BoardEvents> {
  readonly stateDir: string;
  readonly storage: EspruinoStorage;
  readonly pn532 = new VirtualPn532();
  readonly console: EspruinoConsole;
  readonly serialNumber: string;
  private runtime: EspruinoRuntime | null = null;
  private restartPending = false;

  constructor(stateDir: string) {
    super();
    this.stateDir = stateDir;
    fs.mkdirSync(stateDir, { recursive: true });
    this.storage = new EspruinoStorage(path.join(stateDir, 'storage.json'));
    this.storage.onPowerCut = () => this.powerOff('power cut during a flash write');
    this.serialNumber = this.loadIdentity().serial;
    const board = this;
    this.console = new EspruinoConsole(
      {
        get accepting() {
          return board.runtime !== null && !board.restartPending;
        },
        evaluate: (code) => this.evaluate(code),
      },
      (text) => this.emit('output', text),
    );
  }

  get powered(): boolean {
    return this.runtime !== null;
  }

  /** The running interpreter (for allocation counts); null while off. */
  get interpreter(): EspruinoRuntime | null {
    return this.runtime;
  }

  /** Writes code to .bootcde as EspruinoTools' Save on Send does (docs/espruino.md "Uploading" step 5). */
  installFirmware(code: string): void {
    this.storage.erase(BOOT_FILE_ALWAYS);
    for (let i = 0; i < code.length; i += UPLOAD_CHUNK) {
      const chunk = code.slice(i, i + UPLOAD_CHUNK);
      if (i === 0) this.storage.write(BOOT_FILE, chunk, 0, code.length);
      else this.storage.write(BOOT_FILE, chunk, i);
    }
  }

  /** Stores the provisioning bundle where the firmware looks for it. */
  writeProvisioning(json: string): void {
    this.storage.write(PROVISIONING_FILE, json);
  }

  powerOn(): void {
    if (this.runtime !== null) return;
    this.pn532.powerCycle();
    this.emit('powered', true, 'power on');
    this.start(true);
  }

  powerOff(reason: string): void {
    if (this.runtime === null) return;
    this.runtime.dispose();
    this.runtime = null;
    this.restartPending = false;
    this.pn532.powerCycle();
    this.emit('powered', false, reason);
  }

  /** Runs one console line (or a test's expression) in the interpreter. */
  evaluate(code: string): unknown {
    if (this.runtime === null) throw new Error('the board is off');
    return this.runtime.run(code, 'console');
  }

  private start(runBootCode: boolean): void {
    this.runtime = new EspruinoRuntime({
      storage: this.storage,
      i2cDevices: [this.pn532],
      wiring: { sda: I2C_SDA_PIN, scl: I2C_SCL_PIN },
      onPinLevel: (pin, high) => {
        if (pin === PN532_RESET_PIN) this.pn532.setResetLine(high);
      },
      consoleWrite: (text) => this.emit('output', text),
      requestRestart: (kind, file) => this.scheduleRestart(kind, file),
      setEcho: (on) => {
        this.console.echo = on;
      },
      serialNumber: this.serialNumber,
    });
    this.emit('output', `\r\ntapcard Espruino emulator ${EMULATED_VERSION} ESP32 (API-compatible, not interpreter-exact)\r\n`);
    this.runBootFiles(runBootCode ? null : BOOT_FILE_ALWAYS);
    if (this.runtime !== null) {
      this.emit('booted');
      this.console.prompt();
    }
  }

  /** Boot files in Espruino's order; `only` restricts the normal boot code to that file. */
  private runBootFiles(only: string | null): void {
    for (let i = 0; i < 4; i++) this.runStored(`.boot${i}`);
    if (this.storage.read(BOOT_FILE_ALWAYS) !== undefined) this.runStored(BOOT_FILE_ALWAYS);
    else if (only === null) this.runStored(BOOT_FILE);
  }

  private runStored(name: string): void {
    const code = this.storage.read(name);
    if (code === undefined || this.runtime === null) return;
    const refused = espruinoLoadError(code, name);
    if (refused !== null) this.emit('output', `${refused}\r\n`);
    else this.runtime.runReporting(code, name);
  }

  /** reset()/load() take effect after the code that called them returns. */
  private scheduleRestart(kind: 'reset' | 'load', file?: string): void {
    this.restartPending = true;
    setImmediate(() => {
      if (this.runtime === null) return;
      this.runtime.dispose();
      this.runtime = null;
      this.restartPending = false;
      if (kind === 'reset') {
        this.start(false);
      } else if (file !== undefined) {
        this.start(false);
        this.runStored(file);
      } else {
        this.start(true);
      }
    });
  }

  private loadIdentity(): BoardIdentity {
    const file = path.join(this.stateDir, 'board.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as BoardIdentity;
    // ESP32 E.getSerial() is the Wi-Fi MAC; a locally administered one, stable per state directory.
    const mac = crypto.randomBytes(6);
    mac[0] = (mac[0] & 0xfc) | 0x02;
    const identity = { serial: Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':') };
    fs.writeFileSync(file, JSON.stringify(identity));
    return identity;
  }
}
