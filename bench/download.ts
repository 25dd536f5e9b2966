/**
 * Download throughput: transit packages of about 4, 16 and 48 KB, each measured two ways in the
 * same run with the same load file bytes, REPEATS times after WARM_UP_ROUNDS not counted:
 *
 * - raw: GpSession -> SecureElement.transceive in one process, SCP03 at the platform's download
 *   level (C-MAC + C-DEC + R-MAC + R-ENC): the SE core's unwrap + write rate (INSTALL [for load],
 *   LOAD blocks, INSTALL [for install]), on a flash image in memory and on a flash image file as
 *   the in-process terminal keeps it (host/flash/file-flash.ts);
 * - end to end: the platform's download job (data processing unit + data security unit) -> secured
 *   packets in 140-octet segments over the embedded aedes broker -> the terminal's MCU relay -> SE
 *   (bench/_platform-world.ts, the bench issuer of bench/_platform-issuer.ts), from the job's
 *   creation to its `done`, with the segments counted on the terminal's side.
 *
 * Beside a real SE's ~5 KB/s with GlobalPlatformPro (46-48 ms per 255-byte LOAD). A GP load
 * numbers its blocks in one byte (P2, GPCS 11.6.2.2): at most 256 blocks, so the largest package
 * is cut where it must be and the size actually loaded is printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SL_CDEC_RENC_CMAC_RMAC } from '../firmware/src/core/gp/security-level';
import { MAX_LOAD_BLOCKS, loadBlockCount } from '../firmware/src/core/gp/load-script';
import { fromHex } from '../firmware/src/core/hex';
import type { Flash } from '../firmware/src/core/ports/flash';
import { MAX_RESPONSE_LEN } from '../firmware/src/core/se/secure-element';
import { FileFlash } from '../host/flash/file-flash';
import { MemoryFlash } from '../host/flash/memory-flash';
import { DEFAULT_FLASH_PAGES, createSecureElement } from '../host/se/virtual-se';
import { DOWNLOAD_SECURITY_LEVEL } from '../platform-server/src/flows/data-security-unit';
import { SEQUENCE_WINDOW } from '../platform-server/src/flows/se-relay';
import { machineInfo, msSince, type BenchOptions, type BenchResult } from './_report';
import { replayOnBareBroker, type BareFigure } from './_platform-bare';
import { frameCount, frameOctets, type FrameLog } from './_platform-frames';
import { BENCH_APPLICATION_ID, PLATFORM_BLOCK_SIZE, SizedTransitIssuer, sizedTransitPackage } from './_platform-issuer';
import { benchWorld, type BenchWorld } from './_platform-world';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { installTransit, type TransitPackage, type Transmit } from './_transit';

/** A real SE with GlobalPlatformPro: about 5 KB/s (46-48 ms per 255-byte LOAD). */
export const REAL_SE_BYTES_PER_S = 5 * 1024;
/** The platform link's frame: one SMS (architecture: wire contracts). */
export const SEGMENT_OCTETS = 140;
/**
 * The SE's store keeps at most SE_STORE_KEYS records (firmware/src/core/se/records.ts), one per
 * 240-byte chunk of a load file: about 56 KB is the largest package it holds, so 48 KB is the largest here.
 */
const TARGET_KB = [4, 16, 48];
const SMOKE_KB = [1];

interface RawFigure {
  ms: number;
  /** Process CPU time (user + system) over the same span. */
  cpuMs: number;
  bytesPerS: number;
  blocks: number;
}

interface E2eFigure {
  ms: number;
  /** Process CPU time (user + system): platform, broker, terminal and SE all run in this process. */
  cpuMs: number;
  bytesPerS: number;
  /** LOAD blocks the platform's script sent. */
  blocks: number;
  /** Frames (MQTT PUBLISHes) platform -> terminal and terminal -> platform during the job. */
  segmentsDown: number;
  segmentsUp: number;
  octets: number;
}

interface DownloadFigure {
  targetKB: number;
  packageBytes: number;
  note: string;
  /** Medians of the runs below, figure by figure (so one row need not come from one run). */
  rawMemory: RawFigure;
  rawFile: RawFigure;
  e2e: E2eFigure;
  /** e2e bytes/s over raw (file flash) bytes/s, median of the runs' same-run ratios. */
  ratio: number;
  /** raw (file flash) CPU ms over e2e CPU ms, median of the runs' ratios. */
  cpuRatio: number;
  /** The same frames (count and sizes, both ways) through a fresh bare broker, no link or flows. */
  bare: BareFigure;
  /** raw CPU ms / (raw CPU ms + bare broker ms), median of the runs' ratios. */
  bareBound: number;
  runs: DownloadRun[];
}

async function installRaw(pkg: TransitPackage, flash: Flash): Promise<RawFigure> {
  const se = createSecureElement({ flash, serial: fromHex('0102030405060708090a') });
  se.boot();
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  const transmit: Transmit = async (apdu) => out.slice(0, se.transceive(apdu, apdu.length, out));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await installTransit(transmit, pkg, SL_CDEC_RENC_CMAC_RMAC);
  const ms = msSince(start);
  const cpuMs = cpuMsSince(cpu);
  if (result.blockSize !== PLATFORM_BLOCK_SIZE || result.blocks !== loadBlockCount(pkg.file.length, PLATFORM_BLOCK_SIZE)) throw new Error(`raw install used ${result.blocks} blocks of ${result.blockSize} bytes, unlike the platform's script`);
  return { ms, cpuMs, bytesPerS: pkg.file.length / (ms / 1000), blocks: result.blocks };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

async function rawOnFile(pkg: TransitPackage): Promise<RawFigure> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-bench-flash-'));
  const flash = new FileFlash(path.join(dir, 'se-flash.bin'), DEFAULT_FLASH_PAGES);
  try {
    return await installRaw(pkg, flash);
  } finally {
    flash.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Rounds of a 48 KB raw install (memory and file flash) and end-to-end download before any figure:
 * the e2e path's CPU per download keeps falling for about five 48 KB downloads in a fresh process
 * (JIT compilation of the platform, broker, client and MCU code), 4 KB and 16 KB being measured
 * inside that span before; the raw install gets as many rounds.
 */
const WARM_UP_ROUNDS = 5;
/** Downloads (each to a new device) and raw installs of each size; the table shows medians. */
const REPEATS = 3;

/** One measurement of one size: raw installs and the e2e download, with the bare broker replay of its frames. */
interface DownloadRun {
  rawMemory: RawFigure;
  rawFile: RawFigure;
  e2e: E2eFigure;
  /** e2e bytes/s over raw (file flash) bytes/s of the same run. */
  ratio: number;
  bare: BareFigure;
}

async function measureE2e(world: BenchWorld, issuer: SizedTransitIssuer, bundle: ProvisioningBundle, pkg: TransitPackage, target: number): Promise<{ e2e: E2eFigure; frames: FrameLog }> {
  issuer.targetBytes = target;
  const { terminal, frames } = await world.terminal(bundle);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const job = await world.dpu.waitFor(world.dpu.requestDownload(bundle.deviceId, BENCH_APPLICATION_ID, 'bench').id);
  const ms = msSince(start);
  const cpuMs = cpuMsSince(cpu);
  if (job.state !== 'done') throw new Error(`download of ${target} bytes failed: ${job.error}`);
  const issued = issuer.issued.get(bundle.deviceId);
  if (issued === undefined || issued.pkg.file.length !== pkg.file.length) throw new Error('the platform loaded another size than the raw install');
  const installed = terminal.cards();
  if (installed.length !== 1 || installed[0].cardManager === null) throw new Error('the terminal holds no installed card after the download');
  if (frameCount(frames) === 0) throw new Error('no frame crossed the broker');
  const e2e: E2eFigure = {
    ms,
    cpuMs,
    bytesPerS: pkg.file.length / (ms / 1000),
    blocks: loadBlockCount(pkg.file.length, PLATFORM_BLOCK_SIZE),
    segmentsDown: frames.down.length,
    segmentsUp: frames.up.length,
    octets: frameOctets(frames),
  };
  return { e2e, frames };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Field by field median of the runs' figures (counts are the same in every run). */
function medianOf<T extends object>(figures: T[]): T {
  const out = { ...figures[0] } as Record<string, unknown>;
  for (const key of Object.keys(out)) {
    if (typeof out[key] === 'number') out[key] = median(figures.map((f) => (f as Record<string, number>)[key]));
  }
  return out as T;
}

export async function downloadBench(opts: BenchOptions): Promise<BenchResult> {
  if (DOWNLOAD_SECURITY_LEVEL !== SL_CDEC_RENC_CMAC_RMAC) throw new Error('the platform downloads at another security level than this bench measures raw');
  const sizes = opts.smoke ? SMOKE_KB : TARGET_KB;
  const warmUps = opts.smoke ? 1 : WARM_UP_ROUNDS;
  const repeats = opts.smoke ? 1 : REPEATS;
  const issuer = new SizedTransitIssuer(0);
  const world = await benchWorld('provisioned', issuer, { porTimeoutMs: 30_000 });
  const figures: DownloadFigure[] = [];
  try {
    const warmIds = Array.from({ length: warmUps }, (_, r) => `bench-dl-warm-up-${r}`);
    const runIds = sizes.flatMap((kb) => Array.from({ length: repeats }, (_, r) => `bench-dl-${kb}k-${r}`));
    const bundles = await world.devices([...warmIds, ...runIds]);
    const warmTarget = TARGET_KB[TARGET_KB.length - 1] * 1024;
    const warmPkg = sizedTransitPackage(warmTarget, PLATFORM_BLOCK_SIZE);
    for (let r = 0; r < warmUps; r++) {
      await installRaw(warmPkg, new MemoryFlash(DEFAULT_FLASH_PAGES));
      await rawOnFile(warmPkg);
      await measureE2e(world, issuer, bundles[r], warmPkg, warmTarget);
    }
    for (let i = 0; i < sizes.length; i++) {
      const target = sizes[i] * 1024;
      const pkg = sizedTransitPackage(target, PLATFORM_BLOCK_SIZE);
      const runs: DownloadRun[] = [];
      for (let r = 0; r < repeats; r++) {
        const bundle = bundles[warmUps + i * repeats + r];
        const rawMemory = await installRaw(pkg, new MemoryFlash(DEFAULT_FLASH_PAGES));
        const rawFile = await rawOnFile(pkg);
        const { e2e, frames } = await measureE2e(world, issuer, bundle, pkg, target);
        const bare = await replayOnBareBroker([{ bundle, frames }]);
        runs.push({ rawMemory, rawFile, e2e, ratio: e2e.bytesPerS / rawFile.bytesPerS, bare });
      }
      figures.push({
        targetKB: sizes[i],
        packageBytes: pkg.file.length,
        note: pkg.file.length < target ? `cut: ${MAX_LOAD_BLOCKS} LOAD blocks of ${PLATFORM_BLOCK_SIZE} bytes at most` : '',
        rawMemory: medianOf(runs.map((x) => x.rawMemory)),
        rawFile: medianOf(runs.map((x) => x.rawFile)),
        e2e: medianOf(runs.map((x) => x.e2e)),
        ratio: median(runs.map((x) => x.ratio)),
        cpuRatio: median(runs.map((x) => x.rawFile.cpuMs / x.e2e.cpuMs)),
        bare: medianOf(runs.map((x) => x.bare)),
        bareBound: median(runs.map((x) => x.rawFile.cpuMs / (x.rawFile.cpuMs + x.bare.ms))),
        runs,
      });
    }
  } finally {
    await world.close();
  }
  return {
    bench: 'download',
    smoke: opts.smoke,
    machine: machineInfo(),
    tables: [
      {
        title: `Package download, SCP03 SL 33, raw SE core vs end to end over MQTT (real SE with GPPro: ~${REAL_SE_BYTES_PER_S / 1024} KB/s)`,
        columns: ['package', 'bytes', 'LOAD blocks', 'raw bytes/s (memory flash)', 'raw bytes/s (file flash)', 'e2e ms', 'e2e bytes/s', 'e2e / raw (file)', 'raw CPU ms (file)', 'e2e CPU ms', 'e2e / raw, CPU', 'bare broker ms, same frames', 'raw / (raw + bare)', 'e2e x real SE', 'segments down', 'segments up', 'note'],
        rows: figures.map((f) => [
          `${f.targetKB} KB`,
          f.packageBytes,
          f.e2e.blocks,
          f.rawMemory.bytesPerS,
          f.rawFile.bytesPerS,
          f.e2e.ms,
          f.e2e.bytesPerS,
          f.ratio,
          f.rawFile.cpuMs,
          f.e2e.cpuMs,
          f.cpuRatio,
          f.bare.ms,
          f.bareBound,
          f.e2e.bytesPerS / REAL_SE_BYTES_PER_S,
          f.e2e.segmentsDown,
          f.e2e.segmentsUp,
          f.note,
        ]),
      },
    ],
    notes: [
      `each size measured ${repeats} times (a new device each time), every figure the median of its runs, ratios the median of the runs' same-run ratios; first ${warmUps} rounds of a ${TARGET_KB[TARGET_KB.length - 1]} KB raw install (memory and file flash) and download, not counted: the e2e path's CPU per download falls for about five 48 KB downloads in a fresh process (JIT compilation), which the first sizes measured used to pay.`,
      'raw: GpSession -> SecureElement.transceive in one process at SL 33 (the platform\'s download level): host SCP03 wrap + card unwrap, decrypt, LOAD into the journaled store, INSTALL; the time includes SELECT and the SCP03 handshake. "file flash" writes every program/erase through to an image file, as the terminal\'s SE does.',
      'e2e: from the platform creating the download job to the job\'s `done`: SELECT/INITIALIZE UPDATE/EXTERNAL AUTHENTICATE, two GET STATUS, the bench issuer\'s package, INSTALL [for load], LOAD..., INSTALL [for install], the card-manager report; every command inside a TS 102 225 secured packet in 140-octet segments, the install script as command sequences (up to a packet of 8 frames each: 4 LOAD blocks), QoS 1 over the embedded aedes broker (the terminal on loopback TCP, the platform beside the broker publishing through it, a packet\'s frames at once), up to ' + SEQUENCE_WINDOW + ' sequences (packets) in flight per job, each job state persisted in SQLite (a LOAD sequence\'s progress committed without an fsync of its own), the terminal\'s counter file synced on the thread pool while its SE works, its PoR held until then.',
      'segments: MQTT PUBLISHes counted on the terminal\'s side (down = platform -> terminal commands, up = its PoRs).',
      'bare broker: the same frames, count and sizes both ways, through a fresh embedded aedes broker with no link security, flows or SE (the platform joined in process and publishing through the broker, as in e2e), each direction one publish after another awaiting its PUBACK (bench/_platform-bare.ts), wall time of this one process; raw / (raw + bare) is what e2e / raw could reach in CPU time if the SE\'s work and carrying the frames were all there was.',
      'the package comes from a bench-only issuer adapter (bench/_platform-issuer.ts) plugged in through the issuer interface: the production transit issuer has no size setting.',
    ],
    figures: { realSeBytesPerS: REAL_SE_BYTES_PER_S, segmentOctets: SEGMENT_OCTETS, securityLevel: DOWNLOAD_SECURITY_LEVEL, downloads: figures },
  };
}
