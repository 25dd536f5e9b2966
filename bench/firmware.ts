/**
 * Firmware speed and memory on the real Espruino interpreter (_interpreter-speed.ts: the SE's
 * time per command in ms and loop units against the budgets, its JsVars), when TAPCARD_ESPRUINO
 * names the binary; then the footprint: the Espruino bundle's size against its 128 KB limit, the
 * bytes of fixed buffers the SE holds after boot, and typed-array allocations per APDU after
 * boot (goal 0, docs/portable-core.md "Buffers"; the INITIALIZE UPDATE that opens an SCP03
 * session creates the session's objects and is counted per session) for a realistic mix: SELECT ISD, SCP03 open and
 * GET STATUS, SELECT of a transit card, GET BALANCE, INITIALIZE FOR PURCHASE, DEBIT FOR PURCHASE.
 * Allocations are counted twice: in the bundle on the emulated board (its own counter, firmware
 * vs Espruino runtime), and for the SE core in this process (constructors wrapped around transceive).
 */
import { fromHex, toHex } from '../firmware/src/core/hex';
import { MAX_RESPONSE_LEN } from '../firmware/src/core/se/secure-element';
import { MAX_BUNDLE_BYTES } from '../tools/firmware/build-firmware';
import { MemoryFlash } from '../host/flash/memory-flash';
import { GpSession } from '../host/gp/gp-session';
import { sameKeyForAll } from '../host/gp/keys';
import { createSecureElement, DEV_ISD_KEY } from '../host/se/virtual-se';
import { countAllocations, emptyCount, reachableBufferBytes, type AllocationCount } from './_alloc-count';
import { firmwareBundle, tapBoard, type TappedBoard } from './_board';
import { interpreterSection } from './_interpreter-speed';
import { memorySection } from './_interpreter-memory';
import { machineInfo, type BenchOptions, type BenchResult } from './_report';
import { CardRefusedError, expectOk, GET_BALANCE_EP, installTransit, TransitHost, transitPackage, type Transmit } from './_transit';

const KEYS = sameKeyForAll(fromHex(DEV_ISD_KEY));
const DATE_TIME = fromHex('20240315123000');
/** INS names for the per-command breakdown. */
const INS_NAMES: Record<number, string> = {
  0xa4: 'SELECT', 0x82: 'EXTERNAL AUTHENTICATE', 0xf2: 'GET STATUS',
  0x5c: 'GET BALANCE', 0x54: 'DEBIT FOR PURCHASE', 0x52: 'CREDIT FOR LOAD',
};
const SESSION_OPEN = 'INITIALIZE UPDATE (opens an SCP03 session)';

/** INS 50 is GP INITIALIZE UPDATE with P2 00 (AmdD 7.1), JR/T 0025's INITIALIZE FOR LOAD/PURCHASE with P2 02. */
function commandName(apdu: Uint8Array): string {
  if (apdu[1] === 0x50) return apdu[3] === 0x00 ? SESSION_OPEN : 'INITIALIZE FOR LOAD / PURCHASE';
  return INS_NAMES[apdu[1]] ?? `INS ${toHex(apdu, 1, 1)}`;
}

/** Allocation tally per command, filled by a counting transmit. */
class PerCommand {
  readonly apdus: Record<string, number> = {};
  readonly allocations: Record<string, number> = {};
  total = 0;
  count = 0;
  /** INITIALIZE UPDATEs, each creating the objects of the session it opens. */
  sessionOpens = 0;
  sessionAllocations = 0;

  add(apdu: Uint8Array, allocations: number): void {
    const name = commandName(apdu);
    this.apdus[name] = (this.apdus[name] ?? 0) + 1;
    this.allocations[name] = (this.allocations[name] ?? 0) + allocations;
    this.total += allocations;
    this.count++;
    if (name !== SESSION_OPEN) return;
    this.sessionOpens++;
    this.sessionAllocations += allocations;
  }

  /** Allocations per APDU, INITIALIZE UPDATE left out (its allocations are per session). */
  perApdu(): number {
    const n = this.count - this.sessionOpens;
    return n === 0 ? 0 : (this.total - this.sessionAllocations) / n;
  }

  perSession(): number {
    return this.sessionOpens === 0 ? 0 : this.sessionAllocations / this.sessionOpens;
  }
}

/** One round of the mix; the purchase only when `purse` (see onBoard). */
async function mixRound(transmit: Transmit, host: TransitHost, amount: number, purse = true): Promise<void> {
  const gp = new GpSession(transmit);
  await gp.selectIsd();
  await gp.openSecureChannel({ keys: KEYS, securityLevel: 0x03 });
  await gp.list();
  gp.close();
  expectOk('SELECT transit', await transmit(host.selectApdu));
  expectOk('GET BALANCE', await transmit(GET_BALANCE_EP));
  if (!purse) return;
  const init = expectOk('INITIALIZE FOR PURCHASE', await transmit(host.initPurchase(amount)));
  expectOk('DEBIT FOR PURCHASE', await transmit(host.debit(init, amount, DATE_TIME)));
}

async function credit(transmit: Transmit, host: TransitHost, amount: number): Promise<void> {
  expectOk('SELECT transit', await transmit(host.selectApdu));
  const init = expectOk('INITIALIZE FOR LOAD', await transmit(host.initLoad(amount)));
  expectOk('CREDIT FOR LOAD', await transmit(host.credit(init, amount, DATE_TIME)));
}

async function inProcess(rounds: number) {
  const flash = new MemoryFlash(64);
  const se = createSecureElement({ flash, serial: fromHex('0102030405060708090a') });
  se.boot();
  const fixed = reachableBufferBytes(se, [flash]);
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  let measuring = false;
  const tally = new PerCommand();
  const transmit: Transmit = async (apdu) => {
    if (!measuring) return out.slice(0, se.transceive(apdu, apdu.length, out));
    const c: AllocationCount = emptyCount();
    const n = countAllocations(() => se.transceive(apdu, apdu.length, out), c);
    tally.add(apdu, c.total);
    views += c.views;
    for (const k of Object.keys(c.bySite)) sites[k] = (sites[k] ?? 0) + c.bySite[k];
    return out.slice(0, n);
  };
  const sites: Record<string, number> = {};
  let views = 0;
  const pkg = transitPackage(2500);
  await installTransit(transmit, pkg);
  const host = new TransitHost(pkg.spec);
  await credit(transmit, host, 100000);
  await mixRound(transmit, host, 1); // warm-up: first use of every path
  measuring = true;
  for (let i = 0; i < rounds; i++) await mixRound(transmit, host, 1);
  return { fixed, tally, sites, views };
}

/** The card error the firmware noted last (status() prints it as "last error"). */
function lastCardError(board: TappedBoard): string {
  let out = '';
  const listener = (t: string) => {
    out += t;
  };
  board.emulator.board.on('output', listener);
  board.emulator.board.console.input('status()\n');
  board.emulator.board.off('output', listener);
  const m = /last error ([^\r\n]*)/.exec(out);
  return m === null ? 'unknown' : m[1];
}

async function onBoard(firmwareFile: string, rounds: number) {
  const board = await tapBoard(firmwareFile);
  try {
    const counter = () => board.emulator.board.interpreter!.allocations.snapshot();
    let measuring = false;
    const tally = new PerCommand();
    let runtime = 0;
    const transmit: Transmit = async (apdu) => {
      if (!measuring) return board.reader.transmit(apdu);
      const before = counter();
      const r = await board.reader.transmit(apdu);
      const after = counter();
      tally.add(apdu, after.firmware - before.firmware);
      runtime += after.runtime - before.runtime;
      return r;
    };
    const pkg = transitPackage(2500);
    await installTransit(transmit, pkg);
    const host = new TransitHost(pkg.spec);
    // The purse commands draw a random from the board's RNG; where the emulated board cannot
    // (a card error), the mix on the board leaves the purchase out and says so.
    let purseError: string | null = null;
    try {
      await credit(transmit, host, 100000);
    } catch (err) {
      if (!(err instanceof CardRefusedError)) throw err;
      purseError = `${err.message}; board status: ${lastCardError(board)}`;
    }
    await mixRound(transmit, host, 1, purseError === null);
    measuring = true;
    for (let i = 0; i < rounds; i++) await mixRound(transmit, host, 1, purseError === null);
    return { tally, runtime, purseError, jsVars: board.emulator.board.interpreter!.allocations.liveJsVars() };
  } finally {
    await board.close();
  }
}

/** Progress lines go to stderr, so the report on stdout stays the tables. */
function progress(line: string): void {
  console.error(line);
}

export async function firmwareBench(opts: BenchOptions): Promise<BenchResult> {
  const rounds = opts.smoke ? 2 : 20;
  const interpreter = await interpreterSection(opts.smoke, progress);
  const memory = await memorySection(progress);
  progress('firmware: building the bundle');
  const bundle = await firmwareBundle(opts.smoke);
  progress('firmware: counting allocations of the SE core on the host');
  const core = await inProcess(rounds);
  progress('firmware: counting allocations of the bundle on the emulated board');
  const board = await onBoard(bundle.file, opts.smoke ? 1 : 5);
  const coreOnly = Object.keys(core.sites).filter((k) => k.includes(' at firmware/src/core/')).reduce((n, k) => n + core.sites[k], 0);
  const commands = Object.keys({ ...core.tally.apdus, ...board.tally.apdus });
  const notes = [
    ...interpreter.notes,
    ...memory.notes,
    `bundle ${bundle.fresh ? 'built now from the sources' : 'reused from dist/firmware/espruino.js (smoke run)'}; limit ${MAX_BUNDLE_BYTES} bytes.`,
    'fixed buffers: distinct ArrayBuffers reachable from the booted SecureElement (store, registry, card manager, SCP03, slots, response pool), flash image excluded.',
    'board: allocations made by the bundle\'s own code, counted by the emulator (host/emulator/allocation-counter.ts); Espruino runtime arrays (I2C readFrom results) are counted apart.',
    'core: new TypedArray/ArrayBuffer/DataView and slice() inside SecureElement.transceive on the host (bench/_alloc-count.ts); subarray() views hold no bytes and are counted apart (views per APDU).',
  ];
  for (const site of Object.keys(core.sites)) notes.push(`core allocates: ${site} (${core.sites[site]} times in ${core.tally.count} APDUs).`);
  if (board.purseError !== null) notes.push(`board: the purchase was left out of the board's mix: ${board.purseError}.`);
  return {
    bench: 'firmware',
    smoke: opts.smoke,
    machine: machineInfo(),
    tables: [
      ...interpreter.tables,
      ...memory.tables,
      {
        title: 'Firmware footprint',
        columns: ['figure', 'value', 'unit'],
        rows: [
          ['bundle size', bundle.bytes, 'bytes'],
          ['bundle limit', MAX_BUNDLE_BYTES, 'bytes'],
          ['fixed buffers of the SE after boot', core.fixed.bytes, 'bytes'],
          ['  in distinct ArrayBuffers', core.fixed.buffers, 'buffers'],
          ['allocations per APDU but INITIALIZE UPDATE, bundle on the board (goal 0)', board.tally.perApdu(), 'per APDU'],
          ['allocations per SCP03 session opened (INITIALIZE UPDATE), bundle on the board', board.tally.perSession(), 'per session'],
          ['  Espruino runtime arrays per APDU (not ours)', board.tally.count === 0 ? 0 : board.runtime / board.tally.count, 'per APDU'],
          ['allocations per APDU but INITIALIZE UPDATE, SE on the host, in process (goal 0)', core.tally.perApdu(), 'per APDU'],
          ['allocations per SCP03 session opened (INITIALIZE UPDATE), SE on the host', core.tally.perSession(), 'per session'],
          ['  in firmware/src/core, every APDU counted', core.tally.count === 0 ? 0 : coreOnly / core.tally.count, 'per APDU'],
          ['views (subarray, no bytes) per APDU, SE on the host', core.tally.count === 0 ? 0 : core.views / core.tally.count, 'per APDU'],
        ],
      },
      {
        title: 'Allocations by command (after warm-up)',
        columns: ['command', 'APDUs (board)', 'allocations (board)', 'APDUs (core)', 'allocations (core)'],
        rows: commands.map((c) => [c, board.tally.apdus[c] ?? 0, board.tally.allocations[c] ?? 0, core.tally.apdus[c] ?? 0, core.tally.allocations[c] ?? 0]),
      },
    ],
    notes,
    figures: {
      interpreter: interpreter.figures,
      boardMemory: memory.figures,
      bundleBytes: bundle.bytes,
      bundleLimitBytes: MAX_BUNDLE_BYTES,
      fixedBufferBytes: core.fixed.bytes,
      fixedBuffers: core.fixed.buffers,
      board: { apdus: board.tally.count, allocations: board.tally.total, perApdu: board.tally.perApdu(), perSession: board.tally.perSession(), runtimeArrays: board.runtime, byCommand: board.tally.allocations, liveJsVars: board.jsVars },
      core: { inFirmwareCore: coreOnly, apdus: core.tally.count, allocations: core.tally.total, perApdu: core.tally.perApdu(), perSession: core.tally.perSession(), byCommand: core.tally.allocations, bySite: core.sites },
    },
  };
}
