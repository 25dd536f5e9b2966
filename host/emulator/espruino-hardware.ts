/**
 * ESP32's I2C1 as the firmware sees it in the emulator (Espruino's src/jswrap_spi_i2c.c), and the
 * data arguments Espruino's I2C and Serial writes take. The JavaScript objects are made per
 * interpreter; the devices behind them (the PN532) belong to the board and survive reset().
 */
import type { AllocationCounter } from './allocation-counter';

/** A device on the I2C bus, addressed by its 7-bit address. */
export interface I2cDevice {
  readonly address: number;
  write(data: Uint8Array): void;
  read(length: number): Uint8Array;
}

export class I2cBusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'I2CError';
  }
}

/** DataView of any realm (the interpreter's objects come from its vm context). */
export function isDataView(v: unknown): v is DataView {
  return Object.prototype.toString.call(v) === '[object DataView]';
}

/**
 * Flattens Espruino's data arguments to bytes (src/jsvariterator.c jsvIterateCallback): numbers and
 * booleans by their low byte, strings by character, arrays and typed arrays element by element,
 * ArrayBuffers by byte, {data,count} repeated.
 */
export function flattenData(args: unknown[]): number[] {
  const out: number[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'number' || typeof v === 'boolean') out.push(Number(v) & 0xff);
    else if (typeof v === 'string') for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 0xff);
    else if (isDataView(v)) for (const b of new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) out.push(b);
    else if (ArrayBuffer.isView(v)) for (const e of Array.from(v as unknown as ArrayLike<number>)) out.push(e & 0xff);
    else if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') for (const b of new Uint8Array(v as ArrayBuffer)) out.push(b);
    else if (Array.isArray(v)) v.forEach(add);
    else if (typeof v === 'object' && v !== null && 'data' in v) {
      const { data, count } = v as { data: unknown; count?: number };
      for (let i = 0; i < (count ?? 1); i++) add(data);
    }
  };
  args.forEach(add);
  return out;
}

function addressOf(a: unknown): number {
  if (typeof a === 'number') return a;
  if (typeof a === 'object' && a !== null && 'address' in a) return Number((a as { address: unknown }).address);
  throw new I2cBusError('I2C: address must be a number or {address}');
}

/** I2C1: reaches the devices only when set up on the pins they are wired to. */
export class EmulatedI2c {
  private configuredOn: string | null = null;
  constructor(
    private readonly wiredTo: { sda: string; scl: string },
    private readonly devices: I2cDevice[],
    private readonly allocations: AllocationCounter,
  ) {}

  /** The options of the last setup(), for E.dumpStr(). */
  setupOptions: object | null = null;

  setup(options: { sda?: unknown; scl?: unknown; bitrate?: number }): void {
    this.configuredOn = `${String(options.sda)}/${String(options.scl)}`;
    this.setupOptions = options;
  }

  writeTo(address: unknown, ...data: unknown[]): void {
    this.device(addressOf(address)).write(Uint8Array.from(flattenData(data)));
  }

  readFrom(address: unknown, quantity: number): Uint8Array {
    return this.allocations.runtimeBytes(this.device(addressOf(address)).read(quantity));
  }

  private device(address: number): I2cDevice {
    if (this.configuredOn !== `${this.wiredTo.sda}/${this.wiredTo.scl}`) {
      throw new I2cBusError(`I2C: no device answers (I2C1 set up on ${this.configuredOn ?? 'nothing'}, devices are on SDA ${this.wiredTo.sda} / SCL ${this.wiredTo.scl})`);
    }
    const d = this.devices.find((x) => x.address === address);
    if (d === undefined) throw new I2cBusError(`I2C: no ACK from device 0x${address.toString(16)}`);
    return d;
  }
}
