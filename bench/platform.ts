/**
 * Platform scale: 100 and 1,000 terminals at once (in-process MCU + SE core,
 * host/terminal; not the emulated board), each doing one job: the permission flow (grant, SCP03
 * with its SE, GET STATUS, keys wiped), a download of a small transit package the terminal asks for
 * (the platform's download job over the embedded aedes broker, 140-octet segments), and a recharge
 * tap on the installed card (SELECT, INITIALIZE FOR LOAD, CREDIT FOR LOAD with the transit security
 * module's MAC2, in process). Figures: jobs/s, job latency p50/p99/max, CPU time (process.cpuUsage)
 * and memory (rss, heap, sampled). In the same run the bare broker carries the same message count
 * and sizes, beside mosquitto's ~50k msg/s for one node.
 *
 * The platform (with its embedded broker) runs in a process of its own (bench/_platform-process.ts),
 * the simulated fleet in this one, so the platform's CPU and memory are its own; the bare broker is
 * split the same way (broker and platform client there, devices here). Set-up (enrolment, terminal
 * boot, MQTT connects) is not timed.
 *
 * The same fleet then runs against 1 and 2 platform workers on a private mosquitto + PostgreSQL
 * (bench/_platform-workers.ts), each with its bare replay through a fresh mosquitto; skipped with a
 * SKIPPED line when either binary is missing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { P1_STATUS_ISD } from '../firmware/src/core/gp/constants';
import { loadBlockCount } from '../firmware/src/core/gp/load-script';
import { buildGetStatus } from '../firmware/src/core/gp/get-status';
import { fromHex } from '../firmware/src/core/hex';
import { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { MAX_RESPONSE_LEN } from '../firmware/src/core/se/secure-element';
import { HOST_SE_CIPHERS, type Terminal } from '../host/terminal/terminal';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { fmt, machineInfo, maxOf, msSince, percentile, type BenchOptions, type BenchResult } from './_report';
import type { BareFigure } from './_platform-bare';
import { ServerProcess, replayApart, type JobOutcome } from './_platform-apart';
import { frameCount, frameOctets, type FrameLog } from './_platform-frames';
import { BENCH_APPLICATION_ID, PLATFORM_BLOCK_SIZE, sizedTransitPackage } from './_platform-issuer';
import type { PackageSpec } from '../firmware/src/core/package/builder';
import { Progress } from './_platform-progress';
import { startBenchTerminal, startBenchTerminals } from './_platform-world';
import type { Usage } from './_platform-process';
import { PrivatePostgres, missingServiceBinary, type ServiceUsage } from './_platform-services';
import { LEASE_MS, WorkerPool, replayOnMosquitto, type ServicesFigure } from './_platform-workers';
import { TransitHost, expectOk, type Transmit } from './_transit';

/** mosquitto, one node: about 50k messages/s. */
export const MOSQUITTO_MSG_PER_S = 50_000;
const FLEETS = [100, 1000];
const SMOKE_FLEETS = [3];
/** TAPCARD_BENCH_TERMINALS=100,10000 runs other fleet sizes (profiling, the 10,000-terminal run; 0: none). */
function fleetSizes(smoke: boolean): number[] {
  return sizesFrom(process.env.TAPCARD_BENCH_TERMINALS, smoke ? SMOKE_FLEETS : FLEETS).filter((n) => n > 0);
}
/** The worker runs: 100 terminals by default, so the whole bench stays within a few minutes here. */
const WORKER_FLEETS = [100];
const WORKER_COUNTS = [1, 2];
/** The smoke run checks the worker path once, with the hand-over between two workers in it. */
const SMOKE_WORKER_COUNTS = [2];
/** TAPCARD_BENCH_WORKER_TERMINALS=100,1000 (0: no worker runs). */
function workerFleetSizes(smoke: boolean): number[] {
  return sizesFrom(process.env.TAPCARD_BENCH_WORKER_TERMINALS, smoke ? SMOKE_FLEETS : WORKER_FLEETS).filter((n) => n > 0);
}

function sizesFrom(asked: string | undefined, otherwise: number[]): number[] {
  if (asked === undefined || asked === '') return otherwise;
  return asked.split(',').map((x) => Number.parseInt(x, 10));
}
/**
 * Fleets above this size use lightweight terminals: the same MCU and SE core (one copy of the code
 * for all, as every terminal here), each SE on LIGHT_FLASH_PAGES of flash instead of the terminal's
 * 1 MB, enough for the ISD and one small package, so 10,000 fit this machine's memory; flash and
 * link counters in memory (Terminal stateDir null) whatever TAPCARD_BENCH_FLEET_STATE says, so each
 * terminal holds one descriptor, its socket.
 */
const FULL_FLEET_MAX = 1000;
/**
 * The terminals keep their flash and link counters in memory (Terminal stateDir null), so the fleet
 * process writes no file: with files each terminal writes, fsyncs and renames its counter file for
 * every packet, and the fleet's one thread did that for every terminal in turn (a real device
 * writes its own flash, beside the others), which held the flows back more than the platform did
 * (docs/performance.md). TAPCARD_BENCH_FLEET_STATE=files keeps the state of fleets of up to
 * FULL_FLEET_MAX terminals in files, as before.
 */
function fleetStateInMemory(): boolean {
  return process.env.TAPCARD_BENCH_FLEET_STATE !== 'files';
}
const LIGHT_FLASH_PAGES = 32;
/**
 * TAPCARD_BENCH_WARMUP_JOBS=N: N warm-up jobs before the timed phase (default 1), the first alone,
 * the others all at once, each on a terminal of its own that is neither timed nor replayed. A
 * diagnostic, not a figure of record: with one warm-up job the platform process's V8 still compiles
 * the flows (TurboFan, on its helper threads) during the timed phase, CPU a long-running platform
 * pays once (docs/performance.md, "JIT compilation in the timed phase"). The embedded runs' bare
 * aedes replay then replays those terminals' frames first, untimed, in its own process (the
 * bare replay on mosquitto is not warmed).
 */
function warmupJobs(): number {
  const asked = Number.parseInt(process.env.TAPCARD_BENCH_WARMUP_JOBS ?? '', 10);
  return Number.isInteger(asked) && asked > 1 ? asked : 1;
}
/** The smallest transit package (no terms of use): a few LOAD blocks. */
const PACKAGE_BYTES = 0;
const MEMORY_SAMPLE_MS = 100;
const RECHARGE_FEN = 100;
const DATE_TIME = fromHex('20240315123000');
/** Long enough that a loaded platform (and a loaded terminal) is waited for instead of resent to (a resend is extra traffic). */
const POR_TIMEOUT_MS = 120_000;
/** The same for the lightweight fleets, whose set-up and queues are longer on these 2 shared cores. */
const LIGHT_POR_TIMEOUT_MS = 900_000;
/**
 * Lightweight fleets: every terminal connected, at most this many jobs at a time (a terminal starts
 * its job when an earlier one is done). 10,000 jobs at once saturated the platform process, whose
 * event loop the embedded broker shares: the broker dropped clients, the platform's own among them,
 * for missed keep-alives (MQTT 3.1.1 §3.1.2.10: 1.5 times the 60 s keep-alive without a packet).
 */
const LIGHT_JOBS_AT_ONCE = 2000;

interface JobTimes {
  total: number;
  permission: number;
  download: number;
  tap: number;
}

interface CpuFigure {
  userMs: number;
  systemMs: number;
  /** CPU time over wall time (out of 2 cores here). */
  coresBusy: number;
}

/** What the fleet runs against: the embedded default (ServerProcess) or N workers (WorkerPool). */
interface PlatformUnderTest {
  readonly brokerUrl: string;
  enrol(ids: string[]): Promise<ProvisioningBundle[]>;
  waitFor(jobId: string, deviceId: string): Promise<JobOutcome>;
  mark(): Promise<void>;
  usage(): Promise<Usage>;
  close(): Promise<void>;
}

/** 0: the embedded default (aedes + SQLite in one process); N: N workers on mosquitto + PostgreSQL. */
type Setup = { workers: 0 } | { workers: number; postgres: PrivatePostgres };

function setupName(workers: number): string {
  return workers === 0 ? 'embedded' : `${workers} worker${workers === 1 ? '' : 's'}`;
}

interface FleetFigure {
  terminals: number;
  /** 0 = the embedded default. */
  workers: number;
  ms: number;
  jobsPerS: number;
  jobMs: { p50: number; p99: number; max: number };
  downloadMs: { p50: number; p99: number };
  packageBytes: number;
  loadBlocks: number;
  /** The platform process (platform, its flows and the embedded broker), or the workers (CPU summed, memory the largest's). */
  platform: { cpu: CpuFigure; rssStartMB: number; rssPeakMB: number; heapPeakMB: number };
  /** This process: the simulated terminals. */
  fleet: { cpu: CpuFigure; rssPeakMB: number };
  messages: number;
  octets: number;
  messagesPerS: number;
  bare: BareFigure;
  /** The bare broker's process during its replay (with mosquitto: the platform client's process; mosquitto in services). */
  bareBroker: { cpu: CpuFigure; rssPeakMB: number };
  /** This process during the bare replay: the devices' MQTT clients alone, no MCU or SE. */
  bareDevicesCpuMs: number;
  /** Worker runs: mosquitto, PostgreSQL and each worker over the timed phase, and mosquitto in the bare replay. */
  services: (ServicesFigure & { bareMosquitto: ServiceUsage }) | null;
  /** Flow messages/s over bare-broker messages/s. */
  ratio: number;
}

/** GET STATUS of the ISD inside the permission session; its SW must be 9000. */
function readIsdStatus(session: { send(cmd: Uint8Array, len: number, out: Uint8Array): number }): void {
  const cmd = new Uint8Array(16);
  const out = new Uint8Array(300);
  const m = session.send(cmd, buildGetStatus(P1_STATUS_ISD, false, cmd), out);
  if (m < 2 || out[m - 2] !== 0x90 || out[m - 1] !== 0x00) throw new Error('GET STATUS in the permission session failed');
}

/**
 * SELECT / INITIALIZE FOR LOAD / CREDIT FOR LOAD on the installed card. The transit host selects the
 * instance AID of the bench package (the application's, the same for every card the bench issuer
 * issues: core/package/aids.ts) and checks MAC1 and computes MAC2 with the load key diversified from
 * this card's number, so a card installed with another number fails the tap.
 */
async function rechargeTap(terminal: Terminal, spec: PackageSpec, cardNumber: string): Promise<void> {
  // The POS side's DES on the engines of the SEs' (HOST_SE_CIPHERS): the fleet is the load, not measured.
  const host = new TransitHost(spec, cardNumber, ['load'], new PbocCrypto(HOST_SE_CIPHERS.des(), HOST_SE_CIPHERS.tripleDes()));
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  const transmit: Transmit = async (apdu) => out.slice(0, terminal.se.transceive(apdu, apdu.length, out));
  expectOk('SELECT', await transmit(host.selectApdu));
  const init = expectOk('INITIALIZE FOR LOAD', await transmit(host.initLoad(RECHARGE_FEN)));
  expectOk('CREDIT FOR LOAD', await transmit(host.credit(init, RECHARGE_FEN, DATE_TIME)));
}

/**
 * One terminal's job. `spec`: the bench package's spec, which the bench issuer's packages share but
 * for the card number (the package is a function of the number; the instance AID the tap selects
 * does not depend on it), made once per fleet, not once per job.
 */
async function oneJob(server: PlatformUnderTest, terminal: Terminal, spec: PackageSpec): Promise<JobTimes & { cardNumber: string }> {
  const start = process.hrtime.bigint();
  await terminal.withPermission((s) => readIsdStatus(s));
  const permission = msSince(start);
  const jobId = await terminal.requestDownload(BENCH_APPLICATION_ID);
  const job = await server.waitFor(jobId, terminal.deviceId);
  if (job.state !== 'done') throw new Error(`download for ${terminal.deviceId} failed: ${job.error}`);
  const download = msSince(start) - permission;
  if (job.cardNumber === null) throw new Error(`no package was issued for ${terminal.deviceId}`);
  await rechargeTap(terminal, spec, job.cardNumber);
  const total = msSince(start);
  return { total, permission, download, tap: total - permission - download, cardNumber: job.cardNumber };
}

/** job(item) for every item, `limit` at a time, each next one as soon as one is done; results in item order. */
async function atMost<T, R>(limit: number, items: T[], job: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

function mb(bytes: number): number {
  return bytes / 1048576;
}

/**
 * TAPCARD_BENCH_FLEET_CPU_PROF=DIR: a V8 CPU profile of this process (the fleet: the terminals'
 * MQTT clients, MCUs and SEs) over the timed phase alone, written to
 * DIR/fleet-<terminals>-<pid>.cpuprofile (the platform process has TAPCARD_BENCH_CPU_PROF); with
 * TAPCARD_BENCH_FLEET_HEAP_PROF=1 as well, a sampling allocation profile (.heapprofile, objects the
 * collector took kept in it) instead. Returns its stop, or null when not asked for.
 */
async function fleetProfile(terminals: number): Promise<(() => Promise<void>) | null> {
  const dir = process.env.TAPCARD_BENCH_FLEET_CPU_PROF;
  if (dir === undefined || dir === '') return null;
  const session = new Session();
  session.connect();
  const heap = process.env.TAPCARD_BENCH_FLEET_HEAP_PROF === '1';
  if (heap) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  } else {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  return async () => {
    const profile = heap ? (await session.post('HeapProfiler.stopSampling')).profile : (await session.post('Profiler.stop')).profile;
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `fleet-${terminals}-${process.pid}.${heap ? 'heapprofile' : 'cpuprofile'}`), JSON.stringify(profile));
  };
}

function cpuSeconds(c: CpuFigure): number {
  return (c.userMs + c.systemMs) / 1000;
}

function cpuFigure(userMs: number, systemMs: number, ms: number): CpuFigure {
  return { userMs, systemMs, coresBusy: (userMs + systemMs) / ms };
}

/** One line on stderr at each stage of a run (the Progress lines of large fleets come on top). */
function stage(line: string): void {
  process.stderr.write(`platform bench: ${line}\n`);
}

async function runFleet(n: number, setup: Setup): Promise<FleetFigure> {
  const label = `${n} terminals, ${setupName(setup.workers)}`;
  stage(`${label}: starting`);
  const light = n > FULL_FLEET_MAX;
  const porTimeoutMs = light ? LIGHT_POR_TIMEOUT_MS : POR_TIMEOUT_MS;
  const server: PlatformUnderTest =
    'postgres' in setup ? await WorkerPool.start(setup.workers, setup.postgres, porTimeoutMs, PACKAGE_BYTES) : await ServerProcess.start('flows', porTimeoutMs, PACKAGE_BYTES);
  const stateRoot = light || fleetStateInMemory() ? null : mkdtempSync(path.join(tmpdir(), 'tapcard-bench-terminals-'));
  const terminals: Terminal[] = [];
  const devices: { bundle: ProvisioningBundle; frames: FrameLog }[] = [];
  /** The warm-up terminals beyond the first (TAPCARD_BENCH_WARMUP_JOBS): the bare replay replays their frames first, untimed. */
  const warmDevices: { bundle: ProvisioningBundle; frames: FrameLog }[] = [];
  let figure: Omit<FleetFigure, 'bare' | 'bareBroker' | 'bareDevicesCpuMs' | 'ratio' | 'services'>;
  let services: ServicesFigure | null = null;
  try {
    // One more terminal than timed: the warm-up job (the JIT compiles the flows) runs on it alone;
    // TAPCARD_BENCH_WARMUP_JOBS asks for more, each on a terminal enrolled after the timed ones.
    const warmups = warmupJobs();
    const ids = Array.from({ length: n + warmups }, (_, i) => `bench-t${String(i).padStart(5, '0')}`);
    const [warm, ...enrolled] = await server.enrol(ids);
    const bundles = enrolled.slice(0, n);
    // The terminals wait for the platform's PoRs as long as the platform waits for theirs. Their SEs
    // run the core's SE on the host's table ciphers: the fleet is the load, the platform is measured.
    const terminalOptions = { flashPages: light ? LIGHT_FLASH_PAGES : undefined, porTimeoutMs, seCiphers: HOST_SE_CIPHERS };
    const warmTerminal = (await startBenchTerminal(warm, server.brokerUrl, stateRoot, terminalOptions)).terminal;
    terminals.push(warmTerminal);
    const { spec } = sizedTransitPackage(PACKAGE_BYTES, PLATFORM_BLOCK_SIZE);
    const { cardNumber: sampleNumber } = await oneJob(server, warmTerminal, spec);
    if (warmups > 1) {
      const more = await startBenchTerminals(enrolled.slice(n), server.brokerUrl, stateRoot, terminalOptions);
      more.forEach((m, i) => {
        terminals.push(m.terminal);
        warmDevices.push({ bundle: enrolled[n + i], frames: m.frames });
      });
      await atMost(light ? LIGHT_JOBS_AT_ONCE : more.length, more, (m) => oneJob(server, m.terminal, spec));
    }
    // The warm-up card's package as the issuer built it, for the figures (size, LOAD blocks).
    const sample = sizedTransitPackage(PACKAGE_BYTES, PLATFORM_BLOCK_SIZE, sampleNumber);
    stage(`${label}: devices enrolled, warm-up ${warmups === 1 ? 'job' : `jobs (${warmups})`} done; connecting terminals`);
    const timed: Terminal[] = [];
    const progress = new Progress(n);
    const started = await startBenchTerminals(bundles, server.brokerUrl, stateRoot, terminalOptions, (count) => progress.started(count));
    started.forEach((s, i) => {
      terminals.push(s.terminal);
      timed.push(s.terminal);
      devices.push({ bundle: bundles[i], frames: s.frames });
    });

    let rssPeak = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > rssPeak) rssPeak = rss;
    }, MEMORY_SAMPLE_MS);
    await server.mark();
    const stopProfile = await fleetProfile(n);
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    stage(`${label}: jobs running`);
    let times: JobTimes[];
    progress.timing();
    try {
      times = await atMost(light ? LIGHT_JOBS_AT_ONCE : timed.length, timed, (t) => oneJob(server, t, spec).then((j) => progress.jobDone(j), (err: unknown) => progress.jobFailed(err)));
    } finally {
      clearInterval(sampler);
      progress.stop();
    }
    const ms = msSince(start);
    const fleetCpu = process.cpuUsage(cpu0);
    await stopProfile?.();
    const platform = await server.usage();
    if (server instanceof WorkerPool) services = server.services();
    const totals = times.map((t) => t.total);
    const downloads = times.map((t) => t.download);
    let messages = 0;
    let octets = 0;
    for (const d of devices) {
      messages += frameCount(d.frames);
      octets += frameOctets(d.frames);
    }
    figure = {
      terminals: n,
      workers: setup.workers,
      ms,
      jobsPerS: n / (ms / 1000),
      jobMs: { p50: percentile(totals, 50), p99: percentile(totals, 99), max: maxOf(totals) },
      downloadMs: { p50: percentile(downloads, 50), p99: percentile(downloads, 99) },
      packageBytes: sample.file.length,
      loadBlocks: loadBlockCount(sample.file.length, PLATFORM_BLOCK_SIZE),
      platform: { cpu: cpuFigure(platform.cpuUserMs, platform.cpuSystemMs, ms), rssStartMB: platform.rssStartMB, rssPeakMB: platform.rssPeakMB, heapPeakMB: platform.heapPeakMB },
      fleet: { cpu: cpuFigure(fleetCpu.user / 1000, fleetCpu.system / 1000, ms), rssPeakMB: mb(rssPeak) },
      messages,
      octets,
      messagesPerS: messages / (ms / 1000),
    };
  } finally {
    for (const t of terminals) await t.close().catch(() => {});
    await server.close();
    if (stateRoot !== null) rmSync(stateRoot, { recursive: true, force: true });
  }
  stage(`${label}: ${fmt(figure.jobsPerS)} jobs/s; replaying its messages on the bare broker`);
  if (services === null) {
    const { bare, usage, devicesCpuMs } = await replayApart(devices, undefined, warmDevices);
    return { ...figure, bare, bareBroker: { cpu: cpuFigure(usage.cpuUserMs, usage.cpuSystemMs, bare.ms), rssPeakMB: usage.rssPeakMB }, bareDevicesCpuMs: devicesCpuMs, ratio: figure.messagesPerS / bare.messagesPerS, services: null };
  }
  const { bare, usage, devicesCpuMs, mosquitto } = await replayOnMosquitto(devices);
  return {
    ...figure,
    bare,
    bareBroker: { cpu: cpuFigure(usage.cpuUserMs, usage.cpuSystemMs, bare.ms), rssPeakMB: usage.rssPeakMB },
    bareDevicesCpuMs: devicesCpuMs,
    ratio: figure.messagesPerS / bare.messagesPerS,
    services: { ...services, bareMosquitto: mosquitto },
  };
}

/** Platform CPU per message: the platform process, or the workers with mosquitto and PostgreSQL when `services`. */
function platformCpuS(f: FleetFigure, services: boolean): number {
  const s = f.services;
  return cpuSeconds(f.platform.cpu) + (services && s !== null ? (s.mosquitto.cpuMs + s.postgres.cpuMs) / 1000 : 0);
}

/** The bare replay's CPU: its broker process, or the platform client's process and mosquitto. */
function bareCpuS(f: FleetFigure): number {
  return cpuSeconds(f.bareBroker.cpu) + (f.services === null ? 0 : f.services.bareMosquitto.cpuMs / 1000);
}

function eachOf(values: number[]): string {
  return values.map((v) => fmt(v)).join(' / ');
}

/**
 * Fleet by fleet (so the fleet process's rss peak is each fleet's own, up to its size): the
 * embedded default, then 1 and 2 workers; the worker runs skipped with a SKIPPED line naming the
 * missing binary.
 */
async function runAll(fleets: number[], workerFleets: number[], workerCounts: number[]): Promise<{ figures: FleetFigure[]; skipped: string | null }> {
  const missing = workerFleets.length === 0 ? null : missingServiceBinary();
  let skipped: string | null = null;
  if (missing !== null) {
    skipped = `SKIPPED: platform workers on mosquitto + PostgreSQL: ${missing} not found (apt-get install --no-install-recommends mosquitto postgresql)`;
    console.log(skipped);
  }
  let postgres: PrivatePostgres | null = null;
  const figures: FleetFigure[] = [];
  try {
    for (const n of [...new Set([...fleets, ...workerFleets])].sort((a, b) => a - b)) {
      if (fleets.includes(n)) figures.push(await runFleet(n, { workers: 0 }));
      if (skipped !== null || !workerFleets.includes(n)) continue;
      if (postgres === null) {
        stage('starting a private PostgreSQL cluster');
        postgres = await PrivatePostgres.start();
      }
      for (const workers of workerCounts) figures.push(await runFleet(n, { workers, postgres }));
    }
  } finally {
    postgres?.stop();
  }
  return { figures, skipped };
}

export async function platformBench(opts: BenchOptions): Promise<BenchResult> {
  const { figures, skipped } = await runAll(fleetSizes(opts.smoke), workerFleetSizes(opts.smoke), opts.smoke ? SMOKE_WORKER_COUNTS : WORKER_COUNTS);
  const withServices = figures.filter((f) => f.services !== null);
  return {
    bench: 'platform',
    smoke: opts.smoke,
    machine: machineInfo(),
    tables: [
      {
        title:
          'Terminals at once, each: permission + download + recharge tap (embedded: the platform and its aedes broker and SQLite in one process; N workers: N worker processes on a private mosquitto + PostgreSQL; the terminals in the bench process)',
        columns: ['terminals', 'platform', 'wall s', 'jobs/s', 'job p50 ms', 'job p99 ms', 'job max ms', 'download p99 ms'],
        rows: figures.map((f) => [f.terminals, setupName(f.workers), f.ms / 1000, f.jobsPerS, f.jobMs.p50, f.jobMs.p99, f.jobMs.max, f.downloadMs.p99]),
      },
      {
        title: 'CPU time and memory by process over the timed phase (workers: CPU summed, memory the largest worker\'s; mosquitto and PostgreSQL apart, below)',
        columns: ['terminals', 'platform', 'platform CPU s', 'platform cores busy', 'platform rss start MB', 'platform rss peak MB', 'platform heap peak MB', 'fleet CPU s', 'fleet rss peak MB'],
        rows: figures.map((f) => [
          f.terminals,
          setupName(f.workers),
          cpuSeconds(f.platform.cpu),
          f.platform.cpu.coresBusy,
          f.platform.rssStartMB,
          f.platform.rssPeakMB,
          f.platform.heapPeakMB,
          cpuSeconds(f.fleet.cpu),
          f.fleet.rssPeakMB,
        ]),
      },
      {
        title: `Messages through the broker: the flows vs the bare broker (embedded: aedes; workers: mosquitto) with the same messages (mosquitto, one node: ~${fmt(MOSQUITTO_MSG_PER_S)} msg/s)`,
        columns: [
          'terminals',
          'platform',
          'messages',
          'per job',
          'octets',
          'flows msg/s',
          'bare broker msg/s',
          'flows / bare',
          'platform CPU us/msg',
          'with mosquitto + PostgreSQL us/msg',
          'bare broker CPU us/msg',
          'fleet CPU us/msg',
          'bare devices CPU us/msg',
          'bare / mosquitto',
        ],
        rows: figures.map((f) => [
          f.terminals,
          setupName(f.workers),
          f.messages,
          f.messages / f.terminals,
          f.octets,
          f.messagesPerS,
          f.bare.messagesPerS,
          f.ratio,
          (cpuSeconds(f.platform.cpu) * 1e6) / f.messages,
          f.services === null ? '-' : (platformCpuS(f, true) * 1e6) / f.messages,
          (bareCpuS(f) * 1e6) / f.bare.messages,
          (cpuSeconds(f.fleet.cpu) * 1e6) / f.messages,
          (f.bareDevicesCpuMs * 1e3) / f.bare.messages,
          f.bare.messagesPerS / MOSQUITTO_MSG_PER_S,
        ]),
      },
      ...(withServices.length === 0
        ? []
        : [
            {
              title: 'Workers, mosquitto and PostgreSQL apart over the timed phase (CPU from /proc; Pss: shared pages counted once over a service\'s processes)',
              columns: [
                'terminals',
                'platform',
                'each worker CPU s',
                'each worker rss peak MB',
                'mosquitto CPU s',
                'mosquitto Pss peak MB',
                'PostgreSQL CPU s',
                'PostgreSQL Pss peak MB',
                'PostgreSQL transactions per message',
                'bare replay: mosquitto CPU s',
              ],
              rows: withServices.map((f) => {
                const s = f.services as NonNullable<FleetFigure['services']>;
                return [
                  f.terminals,
                  setupName(f.workers),
                  eachOf(s.workers.map((w) => (w.cpuUserMs + w.cpuSystemMs) / 1000)),
                  eachOf(s.workers.map((w) => w.rssPeakMB)),
                  s.mosquitto.cpuMs / 1000,
                  s.mosquitto.pssMB,
                  s.postgres.cpuMs / 1000,
                  s.postgres.pssMB,
                  s.transactions / f.messages,
                  s.bareMosquitto.cpuMs / 1000,
                ];
              }),
            },
          ]),
    ],
    notes: [
      `job: Terminal.withPermission (grant over the link, SCP03 with the SE, GET STATUS, keys wiped), Terminal.requestDownload + the platform's download job to done (package ${figures[0]?.packageBytes} bytes, ${figures[0]?.loadBlocks} LOAD blocks, SCP03 SL 33), then SELECT / INITIALIZE FOR LOAD / CREDIT FOR LOAD on the installed card; all terminals start together (lightweight fleets: all connected, ${fmt(LIGHT_JOBS_AT_ONCE)} jobs at a time, the next terminal starting as one finishes), latency is each terminal's start to its tap's answer.`,
      'processes: the platform (flows, data security unit crypto, SQLite, the embedded aedes broker) runs in a child process (bench/_platform-process.ts); the terminals (MQTT clients, every MCU and SE with its state) run in the bench process. Their SEs run the core\'s SE on the host\'s ciphers (host/terminal HOST_SE_CIPHERS: AES on lookup tables, the board SE\'s word-wide DES) instead of the board\'s SoftAes / SoftDes, and so does the tap\'s POS side: same bytes, less of the fleet\'s CPU, which is the load, not the figure.',
      'CPU: process.cpuUsage of each process over the timed phase; "cores busy" = CPU time / wall time, out of 2 on this machine. Memory: rss and heapUsed sampled every 100 ms in each process; "rss start" is the platform process at the start of the timed phase (devices enrolled, terminals connected).',
      'messages: MQTT PUBLISHes of link frames (<= 140 octets) counted at the terminals, up and down; the bare broker replays exactly these counts and sizes per device, no flows: its broker and one platform client (down frames) in a child process, the device clients (up frames) in the bench process, each device and direction awaiting PUBACK per message. "us/msg" = that process\'s CPU time over the messages.',
      'reading the ratio: when both runs keep the 2 cores busy, flows / bare is about (bare broker + bare devices CPU per message) / (platform + fleet CPU per message). "fleet" is this process over the flows (each terminal\'s MCU and SE core beside its MQTT client), "bare devices" this process over the bare replay (the MQTT clients alone); so a platform costing no more CPU per message than the bare broker\'s process would still read about (bare broker + bare devices) / (bare broker + fleet).',
      'set-up not timed: devices are enrolled by the bench (bench/_platform-fleet.ts: no certificate, a bench broker password table) because provisionDevice costs ~1 s of RSA key generation and a scrypt CONNECT check ~150 ms per device here; the platform joins that broker in process, as `tapcard platform start` joins its embedded one (no socket for the platform\'s own client); so does the bare replay\'s platform client.',
      `the platform's PoR timeout is ${POR_TIMEOUT_MS / 1000} s here (${LIGHT_POR_TIMEOUT_MS / 1000} s for lightweight fleets), the terminals' the same, so a loaded platform waits instead of resending; ${warmupJobs() === 1 ? 'one warm-up job runs' : `${warmupJobs()} warm-up jobs run (TAPCARD_BENCH_WARMUP_JOBS)`} before the timed phase. TAPCARD_BENCH_TERMINALS=100,1000 chooses the fleet sizes; fleets above ${FULL_FLEET_MAX} use lightweight terminals (the same MCU and SE core, each SE on ${LIGHT_FLASH_PAGES} pages of 4 KB of flash instead of 1 MB, flash and link counters in memory instead of files) and print progress on stderr.`,
      `terminal state: ${fleetStateInMemory() ? 'in memory (flash image and link counters), so the fleet process writes no file; TAPCARD_BENCH_FLEET_STATE=files keeps it in files for fleets of up to ' + FULL_FLEET_MAX : `in files (TAPCARD_BENCH_FLEET_STATE=files) up to ${FULL_FLEET_MAX} terminals: each terminal writes, fsyncs and renames its link counter file for every packet, one terminal after another in the fleet's one thread`}.`,
      ...(withServices.length > 0
        ? [
            `workers (bench/_platform-workers.ts): N processes running what \`tapcard platform worker\` runs (device leases, the lease-routed transport on the shared subscription, the flows) with the bench issuer, on a fresh database of a private PostgreSQL 15 cluster (scripts/postgres/start.sh: loopback, fsync on) and a fresh private mosquitto 2 (plain MQTT on loopback with the production ACL of \`platform broker-cert\`, no TLS, no persistence, no queue limit); the same bench enrolment; leases of ${LEASE_MS / 1000} s so no device changes hands. The bare replay runs through another fresh mosquitto: the platform client in a child process, the devices here. "with mosquitto + PostgreSQL us/msg" adds both services' CPU time to the workers'; the embedded platform's figure holds its broker and SQLite already. TAPCARD_BENCH_WORKER_TERMINALS=100,1000 chooses the worker fleet sizes (0: none).`,
          ]
        : skipped === null
          ? []
          : [skipped]),
    ],
    figures: { mosquittoMsgPerS: MOSQUITTO_MSG_PER_S, fleets: figures },
  };
}
