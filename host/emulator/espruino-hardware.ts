/**
 * ESP32 peripherals as the firmware sees them in the emulator: pins D0..D39 and I2C1 (Espruino's
 * src/jswrap_pin.c, src/jswrap_spi_i2c.c). The JavaScript objects are made per interpreter; the
 * devices behind them (the PN532) belong to the board and survive reset().
 */
import type { AllocationCounter } from './allocation-counter';

export const ESP32_PIN_COUNT = 40;

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

/** Espruino pin object: write/read/set/reset/mode. Level changes go to the board's wiring. */
export class EmulatedPin {
  private level = true;
  private pinMode = 'input_pullup';
  constructor(
    readonly name: string,
    private readonly onLevel: (name: string, high: boolean) => void,
  ) {}

  write(value: unknown): void {
    this.level = Boolean(value);
    this.pinMode = 'output';
    this.onLevel(this.name, this.level);
  }
  set(): void {
    this.write(true);
  }
  reset(): void {
    this.write(false);
  }
  read(): boolean {
    return this.level;
  }
  mode(mode: string): void {
    this.pinMode = mode;
  }
  getMode(): string {
    return this.pinMode;
  }
  toString(): string {
    return this.name;
  }
}

/** Flattens Espruino's data arguments (numbers, strings, arrays, typed arrays, {data,count}). */
export function flattenData(args: unknown[]): number[] {
  const out: number[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'number') out.push(v & 0xff);
    else if (typeof v === 'string') for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 0xff);
    else if (ArrayBuffer.isView(v)) for (const b of new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) out.push(b);
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

  setup(options: { sda?: unknown; scl?: unknown; bitrate?: number }): void {
    this.configuredOn = `${String(options.sda)}/${String(options.scl)}`;
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
