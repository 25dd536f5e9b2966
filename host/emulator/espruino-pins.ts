/**
 * ESP32 pins as Espruino 2v29 drives them: D0..D39, LED1 and BTN1 (boards/ESP32.py `devices`: LED1 is
 * D2, BTN1 is D0; there is no LED2), Pin.write/read/toggle/mode/getMode, digitalWrite, digitalRead,
 * pinMode, getPinMode and digitalPulse (src/jswrap_pin.c, src/jswrap_io.c, src/jspin.c).
 *
 * Pin state rules kept from Espruino: writing a pin makes it an output and reading it makes it an
 * input unless pinMode() fixed its mode (jshPinOutput/jshPinInput, "manual" state); toggle() flips
 * the level the pin reads (targets/esp32/jshardware.c jshPinGetState: GPIO_MODE_INPUT_OUTPUT). At
 * power-on ESP32 pulls up D0, D12-D19, D21-D22, D25-D27, D34-D39 (jshPinDefaultPullup); the other
 * pins have no mode until used. The emulator's own choice: an input with neither pull keeps the
 * level last driven.
 */
import { isDataView } from './espruino-hardware';

export const ESP32_PIN_COUNT = 40;

/** boards/ESP32.py `devices`. */
export const ESP32_BOARD_PINS = { LED1: 'D2', BTN1: 'D0' } as const;

const PULLED_UP_AT_BOOT = [0, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 25, 26, 27, 34, 35, 36, 37, 38, 39];

/** pinMode() names (src/jswrap_io.c jswrap_io_pinMode). */
const PIN_MODES = [
  'analog', 'input', 'input_pullup', 'input_pulldown', 'output', 'opendrain', 'opendrain_pullup', 'af_output', 'af_opendrain',
] as const;
export type PinMode = (typeof PIN_MODES)[number];

/** Makes an error of the interpreter's own Error class (so `e instanceof Error` holds in its code). */
export type ErrorFactory = (message: string) => Error;

export class EmulatedPin {
  private level: boolean;
  private state: PinMode | undefined;
  /** pinMode() set the mode: reads and writes leave it alone. */
  private manual = false;

  constructor(
    readonly index: number,
    private readonly onLevel: (name: string, high: boolean) => void,
    private readonly errors: ErrorFactory,
  ) {
    const pulled = PULLED_UP_AT_BOOT.includes(index);
    this.level = pulled;
    this.state = pulled ? 'input_pullup' : undefined;
  }

  get name(): string {
    return `D${this.index}`;
  }

  /** jshPinOutput. */
  write(value: unknown): void {
    this.output(Boolean(value));
  }
  set(): void {
    this.output(true);
  }
  reset(): void {
    this.output(false);
  }
  /** jshPinInput. */
  read(): boolean {
    if (!this.manual) this.enter('input');
    return this.level;
  }
  toggle(): boolean {
    const on = !this.level;
    this.output(on);
    return on;
  }
  /** jswrap_io_pinMode: a mode name fixes the mode; no mode (or "auto") hands it back to read/write. */
  mode(mode: unknown, automatic = false): void {
    const known = typeof mode === 'string' ? PIN_MODES.find((m) => m === mode) : undefined;
    if (known !== undefined) {
      this.manual = !automatic;
      this.enter(known);
    } else {
      this.manual = false;
      if (mode !== undefined && mode !== 'auto') throw this.errors('Unknown pin mode');
    }
  }
  getMode(): PinMode | undefined {
    return this.state;
  }
  get isManual(): boolean {
    return this.manual;
  }
  get high(): boolean {
    return this.level;
  }
  toString(): string {
    return this.name;
  }
  toJSON(): string {
    return this.name;
  }

  /** jshPinSetValue without the state change: a timed edge of digitalPulse. */
  drive(high: boolean): void {
    this.level = high;
    this.onLevel(this.name, high);
  }

  private output(high: boolean): void {
    if (!this.manual) this.state = 'output';
    this.drive(high);
  }

  private enter(state: PinMode): void {
    this.state = state;
    if (state === 'input_pullup' && !this.level) this.drive(true);
    if (state === 'input_pulldown' && this.level) this.drive(false);
  }
}

interface Edge {
  at: number;
  pin: EmulatedPin;
  high: boolean;
}

/**
 * The pins of one interpreter run, the functions that take a pin, and the utility timer behind
 * digitalPulse (src/jstimer.c): timed edges in time order, one host timer for the next.
 */
export class EmulatedPins {
  readonly all: EmulatedPin[] = [];
  private readonly edges: Edge[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    onLevel: (name: string, high: boolean) => void,
    private readonly errors: ErrorFactory,
  ) {
    for (let i = 0; i < ESP32_PIN_COUNT; i++) this.all.push(new EmulatedPin(i, onLevel, errors));
  }

  /** The globals: D0..D39, LED1, BTN1 and the functions on pins. */
  install(g: { [name: string]: unknown }): void {
    for (const p of this.all) g[p.name] = p;
    for (const [alias, name] of Object.entries(ESP32_BOARD_PINS)) g[alias] = this.pinOf(name);
    g.digitalWrite = (pins: unknown, value: unknown) => this.digitalWrite(pins, value);
    g.digitalRead = (pins: unknown) => this.digitalRead(pins);
    g.digitalPulse = (p: unknown, value: unknown, time: unknown) => this.digitalPulse(this.pinOf(p), Boolean(value), time);
    g.pinMode = (p: unknown, mode: unknown, automatic?: unknown) => this.pinOf(p).mode(mode, Boolean(automatic));
    g.getPinMode = (p: unknown) => this.pinOf(p).getMode();
  }

  /** jshGetPinFromVar + jshIsPinValid: a pin, its name ("D2") or its number. */
  pinOf(p: unknown): EmulatedPin {
    if (p instanceof EmulatedPin) return p;
    let index = -1;
    if (typeof p === 'number' && Number.isInteger(p)) index = p;
    else if (typeof p === 'string' && /^D\d{1,2}$/.test(p)) index = Number(p.slice(1));
    const pin = this.all[index];
    if (pin === undefined) throw this.errors('Invalid pin');
    return pin;
  }

  /** Stops the utility timer (the interpreter stopped). */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.edges.length = 0;
  }

  /** jswrap_io_digitalWrite: booleans are all ones or zero; an array of pins takes one bit each, last pin lowest. */
  private digitalWrite(pins: unknown, valueArg: unknown): void {
    let value = typeof valueArg === 'boolean' ? (valueArg ? -1 : 0) : integerOf(valueArg);
    if (Array.isArray(pins)) {
      for (let i = pins.length - 1; i >= 0; i--) {
        this.pinOf(pins[i]).write(value & 1);
        value >>= 1;
      }
    } else if (!(pins instanceof EmulatedPin) && typeof pins === 'object' && pins !== null) {
      const write = (pins as { write?: unknown }).write;
      if (typeof write !== 'function') throw this.errors('Invalid pin');
      write.call(pins, value);
    } else {
      this.pinOf(pins).write(value !== 0);
    }
  }

  /** jswrap_io_digitalRead: an array of pins reads first pin highest. */
  private digitalRead(pins: unknown): number {
    if (Array.isArray(pins)) return pins.reduce((v: number, p) => (v << 1) | (this.pinOf(p).read() ? 1 : 0), 0);
    if (!(pins instanceof EmulatedPin) && typeof pins === 'object' && pins !== null) {
      const read = (pins as { read?: unknown }).read;
      if (typeof read !== 'function') throw this.errors('Invalid pin');
      return integerOf(read.call(pins));
    }
    return this.pinOf(pins).read() ? 1 : 0;
  }

  /**
   * jswrap_io_digitalPulse: the first edge now (or after the pin's pulses already queued), then
   * the opposite level after `time` ms, or a square wave over an array of times (entries that are
   * not numbers are skipped but still swap the level). A time of 0 waits until every queued pulse
   * has finished.
   */
  private digitalPulse(pin: EmulatedPin, value: boolean, times: unknown): void {
    const queued = this.edges.filter((e) => e.pin === pin);
    let at = queued.length > 0 ? queued[queued.length - 1].at : performance.now();
    if (queued.length === 0) pin.write(value);
    if (typeof times === 'number' || typeof times === 'boolean') {
      const ms = Number(times);
      if (ms < 0 || Number.isNaN(ms)) throw this.errors('Pulse Time is less than 0 or not a number');
      if (ms > 0) this.schedule({ at: at + ms, pin, high: !value });
      else this.waitUntilDone();
    } else if (isIterable(times)) {
      for (const t of valuesOf(times)) {
        const ms = Number(t);
        if (!Number.isNaN(ms) && ms > 0) {
          at += ms;
          this.schedule({ at, pin, high: !value });
        }
        value = !value;
      }
    } else {
      throw this.errors(`Expecting Number or Array, got ${espruinoTypeName(times)}`);
    }
  }

  private schedule(edge: Edge): void {
    let i = this.edges.length;
    while (i > 0 && this.edges[i - 1].at > edge.at) i--;
    this.edges.splice(i, 0, edge);
    this.armTimer();
  }

  private armTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.edges.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fireDue();
      this.armTimer();
    }, Math.max(0, this.edges[0].at - performance.now()));
  }

  private fireDue(): void {
    const now = performance.now();
    while (this.edges.length > 0 && this.edges[0].at <= now) {
      const e = this.edges.shift() as Edge;
      e.pin.drive(e.high);
    }
  }

  /** jstUtilTimerWaitEmpty: the interpreter blocks while the pulses play out. */
  private waitUntilDone(): void {
    while (this.edges.length > 0) this.fireDue();
    this.armTimer();
  }
}

/** jsvGetInteger: numbers truncated, numeric strings parsed, anything else 0. */
function integerOf(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : 0;
  return Number.isFinite(n) ? Math.trunc(n) | 0 : 0;
}

/** jsvIsIterable: arrays, objects, functions, strings and array buffers. */
function isIterable(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'function' || (typeof v === 'object' && v !== null);
}

/** The values a JSIF_EVERY_ARRAY_ELEMENT iteration visits. */
function valuesOf(v: unknown): unknown[] {
  if (typeof v === 'string') return Array.from(v);
  if (ArrayBuffer.isView(v) && !isDataView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return Array.from(v);
  return Object.values(v as object);
}

/** Espruino's %t (jsvGetTypeOf as printed in errors). */
function espruinoTypeName(v: unknown): string {
  return v === null ? 'null' : typeof v;
}
