/**
 * Counts typed-array allocations made by code in this process while fn runs: the global typed
 * array and ArrayBuffer constructors are swapped for counting subclasses (so `new Uint8Array(n)`
 * in the core is seen), and slice() is wrapped (a copy is an allocation, docs/portable-core.md
 * "Buffers"); subarray() views, which hold no bytes (core/bytes.ts copy() makes one for a native
 * set()), are counted apart. Everything is put back when fn returns. For the core on the
 * host; the emulator counts the bundle's allocations itself (host/emulator/allocation-counter.ts).
 */
const TYPES = ['Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'ArrayBuffer', 'DataView'] as const;
const VIEW_METHODS = ['subarray', 'slice'] as const;

export interface AllocationCount {
  total: number;
  /** subarray() views made (no new bytes). */
  views: number;
  byKind: Record<string, number>;
  /** "kind at file:line" of the code that allocated, for finding the allocation. */
  bySite: Record<string, number>;
}

/** The first stack frame outside this file, as path:line relative to the repository. */
function callSite(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const f of frames) {
    if (f.includes('_alloc-count')) continue;
    const m = /\(?([^()\s]+):(\d+):\d+\)?$/.exec(f.trim());
    if (m !== null) return `${m[1].replace(/^.*?\/(firmware|host|bench)\//, '$1/')}:${m[2]}`;
  }
  return 'unknown';
}

type Ctor = new (...args: unknown[]) => object;
type Global = Record<string, unknown>;

export function countAllocations<T>(fn: () => T, into: AllocationCount): T {
  const g = globalThis as unknown as Global;
  const note = (kind: string) => {
    into.total++;
    into.byKind[kind] = (into.byKind[kind] ?? 0) + 1;
    const site = `${kind} at ${callSite()}`;
    into.bySite[site] = (into.bySite[site] ?? 0) + 1;
  };
  const saved: Record<string, unknown> = {};
  for (const name of TYPES) {
    const Base = g[name] as Ctor;
    saved[name] = Base;
    const Counted = class extends Base {
      constructor(...args: unknown[]) {
        super(...args);
        note(`new ${name}`);
      }
    };
    Object.defineProperty(Counted, 'name', { value: name });
    g[name] = Counted;
  }
  const proto = Object.getPrototypeOf(Uint8Array.prototype) as Record<string, (...a: unknown[]) => unknown>;
  const savedMethods: Record<string, (...a: unknown[]) => unknown> = {};
  for (const m of VIEW_METHODS) {
    const original = proto[m];
    savedMethods[m] = original;
    proto[m] = function (this: unknown, ...args: unknown[]) {
      if (m === 'subarray') into.views++;
      else note(m);
      return original.apply(this, args);
    };
  }
  try {
    return fn();
  } finally {
    for (const name of TYPES) g[name] = saved[name];
    for (const m of VIEW_METHODS) proto[m] = savedMethods[m];
  }
}

export function emptyCount(): AllocationCount {
  return { total: 0, views: 0, byKind: {}, bySite: {} };
}

/**
 * Bytes of the distinct ArrayBuffers reachable from root's fields (a walk over own properties),
 * skipping the objects in `exclude` (e.g. the flash: that is storage, not RAM).
 */
export function reachableBufferBytes(root: object, exclude: object[]): { bytes: number; buffers: number } {
  const seenObjects = new Set<object>(exclude);
  const seenBuffers = new Set<ArrayBufferLike>();
  let bytes = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seenObjects.has(v)) continue;
    seenObjects.add(v);
    if (ArrayBuffer.isView(v)) {
      if (!seenBuffers.has(v.buffer)) {
        seenBuffers.add(v.buffer);
        bytes += v.buffer.byteLength;
      }
      continue;
    }
    if (typeof (v as { then?: unknown }).then === 'function') continue;
    for (const key of Object.getOwnPropertyNames(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d !== undefined && 'value' in d) stack.push(d.value);
    }
  }
  return { bytes, buffers: seenBuffers.size };
}
