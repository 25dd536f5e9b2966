/**
 * Shared pieces of the store suites: a readable dump of the committed state, deterministic values,
 * and the power-cut harness that replays a scenario with a cut at every program/erase.
 */
import { expect } from 'vitest';
import { MemoryFlash, PowerCutError } from '../../host/flash/memory-flash';
import { STORE_MAX_VALUE, Store } from '../../firmware/src/core/store/store';
import { checkStore } from '../../firmware/src/core/store/check';

/** Every committed key and value, one "type:id=hex" line each, in key order. */
export function dump(store: Store): string {
  const lines: string[] = [];
  const out = new Uint8Array(STORE_MAX_VALUE);
  for (let type = 0; type < 256; type++) {
    for (let id = store.nextId(type, -1); id >= 0; id = store.nextId(type, id)) {
      const len = store.get(type, id, out, 0);
      lines.push(`${type}:${id}=${Buffer.from(out.subarray(0, len)).toString('hex')}`);
    }
  }
  return lines.join('\n');
}

/** A value of `len` bytes that differs for every (seed, position). */
export function value(seed: number, len: number): Uint8Array {
  const v = new Uint8Array(len);
  for (let i = 0; i < len; i++) v[i] = (seed * 131 + i * 7 + (i >> 8)) & 0xff;
  return v;
}

export function mountStore(flash: MemoryFlash, maxKeys?: number): Store {
  const store = new Store(flash, maxKeys);
  store.mount();
  return store;
}

/** Throws (so a scenario stops) unless ok: store calls must succeed in the reference run. */
export function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`${what} returned false`);
}

export function putAll(store: Store, type: number, ids: number[], seed: number, len: number): void {
  for (const id of ids) must(store.put(type, id, value(seed + id, len), 0, len), `put ${type}:${id}`);
}

/** One transaction of a scenario; it must leave the transaction committed. */
export type Step = (store: Store) => void;

export interface CutRunSummary {
  /** Program/erase operations the steps take without a cut. */
  ops: number;
  /** Erases among them (compaction). */
  erases: number;
  /** How many cuts recovered to the state after k steps, by k. */
  recoveredTo: number[];
}

const PROBE_TYPE = 0xee;

/**
 * Runs `steps` on a copy of `base` once without a cut (the reference: state after each step and
 * the op count at which each step ends), then once per program/erase index with the power cut
 * there. After each cut: reboot, mount, and the state must be exactly the one after the last step
 * whose operations all completed; check() must pass, and the store must take and keep a new
 * transaction. With `cutMountToo`, the recovery mount itself is also cut at each of its operations
 * before the final mount.
 */
export function runWithEveryCut(base: Uint8Array, pageCount: number, steps: Step[], cutMountToo?: boolean): CutRunSummary {
  const ref = new MemoryFlash(pageCount, base);
  const refStore = mountStore(ref);
  const states = [dump(refStore)];
  const stepEnds: number[] = [];
  const startOps = ref.opCount;
  const startErases = ref.eraseCount;
  for (const step of steps) {
    step(refStore);
    states.push(dump(refStore));
    stepEnds.push(ref.opCount - startOps);
  }
  const ops = ref.opCount - startOps;
  expect(dump(mountStore(ref)), 'reference state after remount').toBe(states[states.length - 1]);

  const recoveredTo = states.map(() => 0);
  for (let n = 0; n < ops; n++) {
    const flash = new MemoryFlash(pageCount, base);
    const store = mountStore(flash);
    flash.cutAfter(n);
    let cut = false;
    try {
      for (const step of steps) step(store);
    } catch (e) {
      if (!(e instanceof PowerCutError)) throw e;
      cut = true;
    }
    expect(cut, `cut at op ${n} of ${ops}`).toBe(true);
    flash.reboot();
    if (cutMountToo === true) cutEveryMountOp(flash, pageCount);
    const recovered = mountStore(flash);
    // Steps whose last operation (their COMMIT) finished before op n are in; the rest are not.
    let k = 0;
    while (k < stepEnds.length && stepEnds[k] <= n) k++;
    expect(dump(recovered), `state after a cut at op ${n}: ${k} of ${steps.length} steps committed`).toBe(states[k]);
    expect(checkStore(recovered).problems, `check() after a cut at op ${n}`).toEqual([]);
    recoveredTo[k]++;
    expectStillWritable(flash, states[k]);
  }
  return { ops, erases: ref.eraseCount - startErases, recoveredTo };
}

/** Cuts the recovery mount at each of its operations (on copies), then lets it finish. */
function cutEveryMountOp(flash: MemoryFlash, pageCount: number): void {
  const image = flash.snapshot();
  const probe = new MemoryFlash(pageCount, image);
  mountStore(probe);
  for (let m = 0; m < probe.opCount; m++) {
    const copy = new MemoryFlash(pageCount, image);
    copy.cutAfter(m);
    expect(() => mountStore(copy), `mount cut at its op ${m}`).toThrow(PowerCutError);
    copy.reboot();
    expect(checkStore(mountStore(copy)).problems).toEqual([]);
  }
  // Leave `flash` itself with a recovery interrupted at its first operation, when it has one.
  if (probe.opCount > 0) {
    flash.cutAfter(0);
    expect(() => mountStore(flash)).toThrow(PowerCutError);
    flash.reboot();
  }
}

/** After recovery the store takes a new transaction and keeps it across a mount. */
function expectStillWritable(flash: MemoryFlash, state: string): void {
  const store = mountStore(flash);
  store.begin();
  must(store.put(PROBE_TYPE, 1, value(99, 3), 0, 3), 'probe put');
  must(store.commit(), 'probe commit');
  const again = mountStore(flash);
  const probeLine = `${PROBE_TYPE}:1=${Buffer.from(value(99, 3)).toString('hex')}`;
  expect(dump(again)).toBe(state === '' ? probeLine : `${state}\n${probeLine}`);
  expect(checkStore(again).problems).toEqual([]);
}

/** Deterministic pseudo-random integers in [0, n) (mulberry32), so failures replay. */
export function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}
