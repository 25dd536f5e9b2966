/**
 * Platform scale: 100 and 1,000 terminals at once (in-process MCU + SE core,
 * host/terminal; not the emulated board), each doing one job: the permission flow (grant, SCP03
 * with its SE, GET STATUS, keys wiped), a download of a small transit package the terminal asks for
 * (the platform's download job over the embedded aedes broker, 140-octet segments), and a recharge
 * tap on the installed card (SELECT, INITIALIZE FOR LOAD, CREDIT FOR LOAD with the transit security
 * module's MAC2, in process). Figures: jobs/s, job latency p50/p99/max, process CPU
 * (process.cpuUsage) and memory (rss, heap, sampled). In the same run the bare broker carries the
 * same message count and sizes (bench/_platform-bare.ts), beside mosquitto's ~50k msg/s for one node.
 *
 * Everything (platform, broker, terminals) shares one Node process, so CPU and memory are the
 * whole system's. Set-up (enrolment, terminal boot, MQTT connects) is not timed.
 */
import { P1_STATUS_ISD } from '../firmware/src/core/gp/constants';
import { loadBlockCount } from '../firmware/src/core/gp/load-script';
import { buildGetStatus } from '../firmware/src/core/gp/get-status';
import { fromHex } from '../firmware/src/core/hex';
import { MAX_RESPONSE_LEN } from '../firmware/src/core/se/secure-element';
import type { Terminal } from '../host/terminal/terminal';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { fmt, machineInfo, maxOf, msSince, percentile, type BenchOptions, type BenchResult } from './_report';
import { replayOnBareBroker, type BareFigure } from './_platform-bare';
import { frameCount, frameOctets, type FrameLog } from './_platform-frames';
import { BENCH_APPLICATION_ID, PLATFORM_BLOCK_SIZE, SizedTransitIssuer, type IssuedCard } from './_platform-issuer';
import { benchWorld, type BenchWorld } from './_platform-world';
import { TransitHost, expectOk, type Transmit } from './_transit';

/** mosquitto, one node: about 50k messages/s. */
export const MOSQUITTO_MSG_PER_S = 50_000;
const FLEETS = [100, 1000];
const SMOKE_FLEETS = [3];
/** TAPCARD_BENCH_TERMINALS=100,10000 runs other fleet sizes (profiling, the 10,000-terminal run). */
function fleetSizes(smoke: boolean): number[] {
  const asked = process.env.TAPCARD_BENCH_TERMINALS;
  if (asked === undefined || asked === '') return smoke ? SMOKE_FLEETS : FLEETS;
  return asked.split(',').map((x) => Number.parseInt(x, 10));
}
/** The smallest transit package (no terms of use): a few LOAD blocks. */
const PACKAGE_BYTES = 0;
const CONNECT_BATCH = 50;
const MEMORY_SAMPLE_MS = 100;
const RECHARGE_FEN = 100;
const DATE_TIME = fromHex('20240315123000');
/** Long enough that a loaded platform is waited for instead of resent to (a resend is extra traffic). */
const POR_TIMEOUT_MS = 120_000;

interface JobTimes {
  total: number;
  permission: number;
  download: number;
  tap: number;
}

interface FleetFigure {
  terminals: number;
  ms: number;
  jobsPerS: number;
  jobMs: { p50: number; p99: number; max: number };
  downloadMs: { p50: number; p99: number };
  packageBytes: number;
  loadBlocks: number;
  cpu: { userMs: number; systemMs: number; coresBusy: number };
  memory: { rssStartMB: number; rssPeakMB: number; heapPeakMB: number };
  messages: number;
  octets: number;
  messagesPerS: number;
  bare: BareFigure;
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

async function rechargeTap(terminal: Terminal, card: IssuedCard): Promise<void> {
  const host = new TransitHost(card.pkg.spec, card.cardNumber);
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  const transmit: Transmit = async (apdu) => out.slice(0, terminal.se.transceive(apdu, apdu.length, out));
  expectOk('SELECT', await transmit(host.selectApdu));
  const init = expectOk('INITIALIZE FOR LOAD', await transmit(host.initLoad(RECHARGE_FEN)));
  expectOk('CREDIT FOR LOAD', await transmit(host.credit(init, RECHARGE_FEN, DATE_TIME)));
}

async function oneJob(world: BenchWorld, terminal: Terminal): Promise<JobTimes> {
  const start = process.hrtime.bigint();
  await terminal.withPermission((s) => readIsdStatus(s));
  const permission = msSince(start);
  const jobId = await terminal.requestDownload(BENCH_APPLICATION_ID);
  const job = await world.dpu.waitFor(jobId);
  if (job.state !== 'done') throw new Error(`download for ${terminal.deviceId} failed: ${job.error}`);
  const download = msSince(start) - permission;
  const card = world.issuer.issued.get(terminal.deviceId);
  if (card === undefined) throw new Error(`no package was issued for ${terminal.deviceId}`);
  await rechargeTap(terminal, card);
  const total = msSince(start);
  return { total, permission, download, tap: total - permission - download };
}

function mb(bytes: number): number {
  return bytes / 1048576;
}

async function runFleet(n: number): Promise<FleetFigure> {
  const issuer = new SizedTransitIssuer(PACKAGE_BYTES);
  const world = await benchWorld('fleet', issuer, { porTimeoutMs: POR_TIMEOUT_MS });
  const devices: { bundle: ProvisioningBundle; frames: FrameLog }[] = [];
  let figure: Omit<FleetFigure, 'bare' | 'ratio'>;
  try {
    // One more terminal than timed: the warm-up job (the JIT compiles the flows) runs on it alone.
    const ids = Array.from({ length: n + 1 }, (_, i) => `bench-t${String(i).padStart(4, '0')}`);
    const [warm, ...bundles] = await world.devices(ids);
    await oneJob(world, (await world.terminal(warm)).terminal);
    const terminals: Terminal[] = [];
    for (let i = 0; i < bundles.length; i += CONNECT_BATCH) {
      const started = await Promise.all(bundles.slice(i, i + CONNECT_BATCH).map((b) => world.terminal(b)));
      started.forEach((s, j) => {
        terminals.push(s.terminal);
        devices.push({ bundle: bundles[i + j], frames: s.frames });
      });
    }

    let rssPeak = process.memoryUsage().rss;
    let heapPeak = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      if (m.rss > rssPeak) rssPeak = m.rss;
      if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
    }, MEMORY_SAMPLE_MS);
    const rssStart = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    let times: JobTimes[];
    try {
      times = await Promise.all(terminals.map((t) => oneJob(world, t)));
    } finally {
      clearInterval(sampler);
    }
    const ms = msSince(start);
    const cpu = process.cpuUsage(cpu0);
    const totals = times.map((t) => t.total);
    const downloads = times.map((t) => t.download);
    let messages = 0;
    let octets = 0;
    for (const d of devices) {
      messages += frameCount(d.frames);
      octets += frameOctets(d.frames);
    }
    const sample = issuer.issued.get(terminals[0].deviceId) as IssuedCard;
    figure = {
      terminals: n,
      ms,
      jobsPerS: n / (ms / 1000),
      jobMs: { p50: percentile(totals, 50), p99: percentile(totals, 99), max: maxOf(totals) },
      downloadMs: { p50: percentile(downloads, 50), p99: percentile(downloads, 99) },
      packageBytes: sample.pkg.file.length,
      loadBlocks: loadBlockCount(sample.pkg.file.length, PLATFORM_BLOCK_SIZE),
      cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, coresBusy: (cpu.user + cpu.system) / 1000 / ms },
      memory: { rssStartMB: mb(rssStart), rssPeakMB: mb(rssPeak), heapPeakMB: mb(heapPeak) },
      messages,
      octets,
      messagesPerS: messages / (ms / 1000),
    };
  } finally {
    await world.close();
  }
  const bare = await replayOnBareBroker(devices);
  return { ...figure, bare, ratio: figure.messagesPerS / bare.messagesPerS };
}

export async function platformBench(opts: BenchOptions): Promise<BenchResult> {
  const fleets = fleetSizes(opts.smoke);
  const figures: FleetFigure[] = [];
  for (const n of fleets) figures.push(await runFleet(n));
  return {
    bench: 'platform',
    smoke: opts.smoke,
    machine: machineInfo(),
    tables: [
      {
        title: 'Terminals at once, each: permission + download + recharge tap (one process: platform, aedes broker, terminals)',
        columns: ['terminals', 'wall s', 'jobs/s', 'job p50 ms', 'job p99 ms', 'job max ms', 'download p99 ms', 'CPU s (user+sys)', 'cores busy', 'rss start MB', 'rss peak MB', 'heap peak MB'],
        rows: figures.map((f) => [
          f.terminals,
          f.ms / 1000,
          f.jobsPerS,
          f.jobMs.p50,
          f.jobMs.p99,
          f.jobMs.max,
          f.downloadMs.p99,
          (f.cpu.userMs + f.cpu.systemMs) / 1000,
          f.cpu.coresBusy,
          f.memory.rssStartMB,
          f.memory.rssPeakMB,
          f.memory.heapPeakMB,
        ]),
      },
      {
        title: `Messages through the broker: the flows vs the bare aedes broker with the same messages (mosquitto, one node: ~${fmt(MOSQUITTO_MSG_PER_S)} msg/s)`,
        columns: ['terminals', 'messages', 'per job', 'octets', 'flows msg/s', 'bare broker msg/s', 'flows / bare', 'bare / mosquitto'],
        rows: figures.map((f) => [f.terminals, f.messages, f.messages / f.terminals, f.octets, f.messagesPerS, f.bare.messagesPerS, f.ratio, f.bare.messagesPerS / MOSQUITTO_MSG_PER_S]),
      },
    ],
    notes: [
      `job: Terminal.withPermission (grant over the link, SCP03 with the SE, GET STATUS, keys wiped), Terminal.requestDownload + the platform's download job to done (package ${figures[0].packageBytes} bytes, ${figures[0].loadBlocks} LOAD blocks, SCP03 SL 33), then SELECT / INITIALIZE FOR LOAD / CREDIT FOR LOAD on the installed card; all terminals start together, latency is each terminal's start to its tap's answer.`,
      'CPU: process.cpuUsage over the timed phase, for the whole process (platform, data security unit crypto, SQLite, aedes, MQTT clients, every MCU and SE); "cores busy" = CPU time / wall time, out of 2 on this machine. Memory: rss and heapUsed sampled every 100 ms.',
      'messages: MQTT PUBLISHes of link frames (<= 140 octets) counted at the terminals, up and down; the bare broker replays exactly these counts and sizes per device, no flows (bench/_platform-bare.ts).',
      'set-up not timed: devices are enrolled by the bench (bench/_platform-fleet.ts: no certificate, a bench broker password table) because provisionDevice costs ~1 s of RSA key generation and a scrypt CONNECT check ~150 ms per device here; the platform joins that broker as an external one.',
      `the platform's PoR timeout is ${POR_TIMEOUT_MS / 1000} s here so a loaded platform waits instead of resending; one warm-up job runs before the timed phase.`,
    ],
    figures: { mosquittoMsgPerS: MOSQUITTO_MSG_PER_S, fleets: figures },
  };
}
