/**
 * Download throughput: transit packages of about 4, 16 and 64 KB, each measured
 * twice in the same run with the same load file bytes:
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
import { machineInfo, msSince, type BenchOptions, type BenchResult } from './_report';
import { replayOnBareBroker, type BareFigure } from './_platform-bare';
import { frameCount, frameOctets } from './_platform-frames';
import { BENCH_APPLICATION_ID, PLATFORM_BLOCK_SIZE, SizedTransitIssuer, sizedTransitPackage } from './_platform-issuer';
import { benchWorld } from './_platform-world';
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
  rawMemory: RawFigure;
  rawFile: RawFigure;
  e2e: E2eFigure;
  /** e2e bytes/s over raw (file flash) bytes/s. */
  ratio: number;
  /** The same frames (count and sizes, both ways) through a fresh bare broker, no link or flows. */
  bare: BareFigure;
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

export async function downloadBench(opts: BenchOptions): Promise<BenchResult> {
  if (DOWNLOAD_SECURITY_LEVEL !== SL_CDEC_RENC_CMAC_RMAC) throw new Error('the platform downloads at another security level than this bench measures raw');
  const sizes = opts.smoke ? SMOKE_KB : TARGET_KB;
  const issuer = new SizedTransitIssuer(0);
  const world = await benchWorld('provisioned', issuer, { porTimeoutMs: 30_000 });
  const figures: DownloadFigure[] = [];
  try {
    const [warm, ...bundles] = await world.devices(['bench-dl-warm-up', ...sizes.map((kb) => `bench-dl-${kb}k`)]);
    // One small download and raw install first, so JIT compilation is not in the first figure.
    await installRaw(sizedTransitPackage(0, PLATFORM_BLOCK_SIZE), new MemoryFlash(DEFAULT_FLASH_PAGES));
    await world.terminal(warm);
    await world.dpu.waitFor(world.dpu.requestDownload(warm.deviceId, BENCH_APPLICATION_ID, 'bench').id);
    for (let i = 0; i < sizes.length; i++) {
      const target = sizes[i] * 1024;
      const pkg = sizedTransitPackage(target, PLATFORM_BLOCK_SIZE);
      const rawMemory = await installRaw(pkg, new MemoryFlash(DEFAULT_FLASH_PAGES));
      const rawFile = await rawOnFile(pkg);

      issuer.targetBytes = target;
      const { terminal, frames } = await world.terminal(bundles[i]);
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      const job = await world.dpu.waitFor(world.dpu.requestDownload(bundles[i].deviceId, BENCH_APPLICATION_ID, 'bench').id);
      const ms = msSince(start);
      const cpuMs = cpuMsSince(cpu);
      if (job.state !== 'done') throw new Error(`download of ${sizes[i]} KB failed: ${job.error}`);
      const issued = issuer.issued.get(bundles[i].deviceId);
      if (issued === undefined || issued.pkg.file.length !== pkg.file.length) throw new Error('the platform loaded another size than the raw install');
      const installed = terminal.cards();
      if (installed.length !== 1 || installed[0].cardManager === null) throw new Error('the terminal holds no installed card after the download');
      const e2e: E2eFigure = {
        ms,
        cpuMs,
        bytesPerS: pkg.file.length / (ms / 1000),
        blocks: loadBlockCount(pkg.file.length, PLATFORM_BLOCK_SIZE),
        segmentsDown: frames.down.length,
        segmentsUp: frames.up.length,
        octets: frameOctets(frames),
      };
      if (frameCount(frames) === 0) throw new Error('no frame crossed the broker');
      const bare = await replayOnBareBroker([{ bundle: bundles[i], frames }]);
      figures.push({
        targetKB: sizes[i],
        packageBytes: pkg.file.length,
        note: pkg.file.length < target ? `cut: ${MAX_LOAD_BLOCKS} LOAD blocks of ${PLATFORM_BLOCK_SIZE} bytes at most` : '',
        rawMemory,
        rawFile,
        e2e,
        ratio: e2e.bytesPerS / rawFile.bytesPerS,
        bare,
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
          f.rawFile.cpuMs / f.e2e.cpuMs,
          f.bare.ms,
          f.rawFile.cpuMs / (f.rawFile.cpuMs + f.bare.ms),
          f.e2e.bytesPerS / REAL_SE_BYTES_PER_S,
          f.e2e.segmentsDown,
          f.e2e.segmentsUp,
          f.note,
        ]),
      },
    ],
    notes: [
      'raw: GpSession -> SecureElement.transceive in one process at SL 33 (the platform\'s download level): host SCP03 wrap + card unwrap, decrypt, LOAD into the journaled store, INSTALL; the time includes SELECT and the SCP03 handshake. "file flash" writes every program/erase through to an image file, as the terminal\'s SE does.',
      'e2e: from the platform creating the download job to the job\'s `done`: SELECT/INITIALIZE UPDATE/EXTERNAL AUTHENTICATE, two GET STATUS, the bench issuer\'s package, INSTALL [for load], LOAD..., INSTALL [for install], the card-manager report; every command inside a TS 102 225 secured packet in 140-octet segments, the install script as command sequences (up to a packet of 8 frames each: 4 LOAD blocks), QoS 1 over the embedded aedes broker (loopback TCP), one packet in flight per job, each job state persisted in SQLite.',
      'segments: MQTT PUBLISHes counted on the terminal\'s side (down = platform -> terminal commands, up = its PoRs).',
      'bare broker: the same frames, count and sizes both ways, through a fresh embedded aedes broker with no link security, flows or SE, each direction one publish after another awaiting its PUBACK (bench/_platform-bare.ts), wall time of this one process; raw / (raw + bare) is what e2e / raw could reach in CPU time if the SE\'s work and carrying the frames were all there was.',
      'the package comes from a bench-only issuer adapter (bench/_platform-issuer.ts) plugged in through the issuer interface: the production transit issuer has no size setting.',
    ],
    figures: { realSeBytesPerS: REAL_SE_BYTES_PER_S, segmentOctets: SEGMENT_OCTETS, securityLevel: DOWNLOAD_SECURITY_LEVEL, downloads: figures },
  };
}
