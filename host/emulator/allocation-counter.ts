/**
 * Counts typed-array and ArrayBuffer allocations inside an emulated interpreter, so a benchmark
 * can show whether the firmware allocates per APDU (docs/portable-core.md "Buffers").
 *
 * The context's constructors are replaced by counting subclasses defined inside the context, so
 * `new Uint8Array(n)`, `subarray()` (species construction) and `new Uint8Array(buffer)` by the
 * firmware are all seen. Arrays the emulated runtime hands out (I2C readFrom results, AES output)
 * are counted apart as "runtime": on a real board those are Espruino's allocations, not ours.
 * Views on an existing buffer (subarray(), the one core/bytes.ts copy() makes for a native set())
 * hold no bytes and Espruino frees them as soon as they are dropped: they are counted apart as
 * "views", not as allocations.
 *
 * It also keeps a live estimate of the JsVars those buffers would take on the board (one variable
 * per array object plus one per 12 data bytes; views on an existing buffer add no data), dropped
 * again when V8 collects the array. process.memory() reports that figure, so "usage" in the
 * emulator is buffer memory only; the real total is measured on a board (docs/board.md).
 */
import vm from 'node:vm';

export const COUNTED_TYPES = [
  'Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'ArrayBuffer', 'DataView',
] as const;

/** Espruino JsVar payload: 12 data bytes per variable on ESP32 (docs/espruino.md "Memory": 14-byte vars). */
export const BYTES_PER_JSVAR = 12;

export interface AllocationSnapshot {
  /** Buffers (new bytes) allocated by code running in the interpreter (the firmware). */
  firmware: number;
  /** Views the firmware made on existing buffers (no new bytes). */
  views: number;
  /** Arrays created by the emulated Espruino API for the firmware. */
  runtime: number;
  byType: { [type: string]: number };
}

export class AllocationCounter {
  private firmware = 0;
  private views = 0;
  private runtime = 0;
  private readonly byType: { [type: string]: number } = {};
  /** The context's original Uint8Array, for runtime-made arrays that bypass the count. */
  private baseUint8Array: Uint8ArrayConstructor | null = null;
  private baseArrayBuffer: ArrayBufferConstructor | null = null;
  private liveVars = 0;
  private readonly released = new FinalizationRegistry<number>((vars) => {
    this.liveVars -= vars;
  });

  /** Installs the counting constructors in a fresh context (before any firmware runs). */
  install(context: vm.Context): void {
    const note = (type: string, made: object, newBytes: number): void => {
      if (newBytes === 0 && type !== 'ArrayBuffer') {
        this.views++;
        return;
      }
      this.firmware++;
      this.byType[type] = (this.byType[type] ?? 0) + 1;
      const vars = 1 + Math.ceil(newBytes / BYTES_PER_JSVAR);
      this.liveVars += vars;
      this.released.register(made, vars);
    };
    const install = vm.runInContext(
      `(function (types, note) {
        var bases = {};
        types.forEach(function (name) {
          var Base = globalThis[name];
          bases[name] = Base;
          var Counted = class extends Base {
            constructor(...args) {
              super(...args);
              var onExistingBuffer = Object.prototype.toString.call(args[0]) === '[object ArrayBuffer]' || name === 'DataView';
              note(name, this, onExistingBuffer ? 0 : this.byteLength);
            }
          };
          Object.defineProperty(Counted, 'name', { value: name });
          globalThis[name] = Counted;
        });
        return bases;
      })`,
      context,
    ) as (types: readonly string[], note: (t: string, made: object, newBytes: number) => void) => { Uint8Array: Uint8ArrayConstructor; ArrayBuffer: ArrayBufferConstructor };
    const bases = install(COUNTED_TYPES, note);
    this.baseUint8Array = bases.Uint8Array;
    this.baseArrayBuffer = bases.ArrayBuffer;
  }

  /** A Uint8Array of the context's realm made by the runtime (counted as "runtime"). */
  runtimeBytes(source: ArrayLike<number>): Uint8Array {
    if (this.baseUint8Array === null) throw new Error('AllocationCounter: install() first');
    this.runtime++;
    const out = new this.baseUint8Array(source.length);
    for (let i = 0; i < source.length; i++) out[i] = source[i];
    return out;
  }

  /** An ArrayBuffer of the context's realm made by the runtime (counted as "runtime"). */
  runtimeBuffer(source: ArrayLike<number>): ArrayBuffer {
    if (this.baseArrayBuffer === null || this.baseUint8Array === null) throw new Error('AllocationCounter: install() first');
    this.runtime++;
    const buffer = new this.baseArrayBuffer(source.length);
    const view = new this.baseUint8Array(buffer);
    for (let i = 0; i < source.length; i++) view[i] = source[i];
    return buffer;
  }

  /** Estimated JsVars held by the firmware's live buffers. */
  liveJsVars(): number {
    return this.liveVars;
  }

  snapshot(): AllocationSnapshot {
    return { firmware: this.firmware, views: this.views, runtime: this.runtime, byType: { ...this.byType } };
  }
}
