/**
 * The platform bench's worker shape (docs/deployment.md): N platform workers, each a process of
 * its own (bench/_platform-worker-side.ts), on a fresh database of the bench's private PostgreSQL
 * cluster and a fresh private mosquitto (bench/_platform-services.ts); and the bare-broker replay
 * of the same messages through another fresh mosquitto. The services' CPU time and memory are
 * read from /proc, apart from the workers' own and the fleet's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { PLATFORM_PRINCIPAL, initPlatform } from '../platform-server/src/platform-home';
import type { BareFigure } from './_platform-bare';
import { ServerProcess, replayApart, type JobOutcome } from './_platform-apart';
import type { FrameLog } from './_platform-frames';
import type { Usage } from './_platform-process';
import { PrivateMosquitto, type PrivatePostgres, type ServiceUsage } from './_platform-services';
import type { WorkerConfig } from './_platform-worker-side';

/** Long enough that no device changes hands during a run (the bench kills no worker). */
export const LEASE_MS = 60_000;
/** Card numbers of worker i start at i times this. */
const CARD_SERIAL_RANGE = 1_000_000_000;
const SERVICE_SAMPLE_MS = 500;
/** PostgreSQL publishes its statistics at most this long after a transaction (PGSTAT_MIN_INTERVAL, 1 s). */
const STATS_DELAY_MS = 1_100;

function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, STATS_DELAY_MS));
}

/** CPU time since the mark, and the peak memory sampled since. */
class ServiceMeter {
  private cpu0 = 0;
  private peakMB = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly read: () => ServiceUsage) {}

  mark(): void {
    this.stop();
    const u = this.read();
    this.cpu0 = u.cpuMs;
    this.peakMB = u.pssMB;
    this.timer = setInterval(() => this.sample(), SERVICE_SAMPLE_MS);
  }

  /** Stops sampling; CPU ms since the mark and the peak Pss. */
  finish(): ServiceUsage {
    this.stop();
    const u = this.sample();
    return { cpuMs: u.cpuMs - this.cpu0, pssMB: this.peakMB };
  }

  private sample(): ServiceUsage {
    const u = this.read();
    if (u.pssMB > this.peakMB) this.peakMB = u.pssMB;
    return u;
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

export interface ServicesFigure {
  mosquitto: ServiceUsage;
  postgres: ServiceUsage;
  /** Each worker's own usage over the timed phase. */
  workers: Usage[];
  /** PostgreSQL transactions in the platform's database over the timed phase. */
  transactions: number;
}

/** N workers on a fresh mosquitto and a fresh database; the same face as the embedded ServerProcess. */
export class WorkerPool {
  private readonly mosquittoMeter: ServiceMeter;
  private readonly postgresMeter: ServiceMeter;
  private figure: ServicesFigure | null = null;
  private transactions0 = 0;

  private constructor(
    private readonly workers: ServerProcess[],
    private readonly mosquitto: PrivateMosquitto,
    private readonly postgres: PrivatePostgres,
    private readonly dbUrl: string,
    private readonly dataDir: string,
  ) {
    this.mosquittoMeter = new ServiceMeter(() => mosquitto.usage());
    this.postgresMeter = new ServiceMeter(() => postgres.usage());
  }

  static async start(n: number, postgres: PrivatePostgres, porTimeoutMs: number, packageBytes: number): Promise<WorkerPool> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tapcard-bench-workers-'));
    const dbUrl = postgres.freshDatabase();
    await initPlatform(dataDir, { env: {}, db: dbUrl });
    const mosquitto = await PrivateMosquitto.start();
    const workers: ServerProcess[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const config: WorkerConfig = {
          dataDir,
          dbUrl,
          brokerUrl: `mqtt://${PLATFORM_PRINCIPAL}@${mosquitto.host}:${mosquitto.port}`,
          deviceBrokerUrl: mosquitto.url,
          workerId: `bench${i}`,
          leaseMs: LEASE_MS,
          cardSerialBase: i * CARD_SERIAL_RANGE,
        };
        workers.push(await ServerProcess.start('worker', porTimeoutMs, packageBytes, JSON.stringify(config)));
      }
    } catch (err) {
      for (const w of workers) await w.close();
      await mosquitto.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
    return new WorkerPool(workers, mosquitto, postgres, dbUrl, dataDir);
  }

  get brokerUrl(): string {
    return this.mosquitto.url;
  }

  enrol(ids: string[]): Promise<ProvisioningBundle[]> {
    return this.workers[0].enrol(ids);
  }

  /** The job's outcome from the worker that ran it. */
  waitFor(jobId: string, deviceId: string): Promise<JobOutcome> {
    return Promise.any(this.workers.map((w) => w.waitFor(jobId, deviceId)));
  }

  async mark(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.mark()));
    await settle();
    this.transactions0 = this.postgres.transactions(this.dbUrl);
    this.mosquittoMeter.mark();
    this.postgresMeter.mark();
  }

  /** The workers together: CPU time summed, memory the largest worker's. */
  async usage(): Promise<Usage> {
    const each = await Promise.all(this.workers.map((w) => w.usage()));
    const mosquitto = this.mosquittoMeter.finish();
    const postgres = this.postgresMeter.finish();
    await settle();
    this.figure = { mosquitto, postgres, workers: each, transactions: this.postgres.transactions(this.dbUrl) - this.transactions0 };
    const sum = (f: (u: Usage) => number): number => each.reduce((a, u) => a + f(u), 0);
    const max = (f: (u: Usage) => number): number => Math.max(...each.map(f));
    return { cpuUserMs: sum((u) => u.cpuUserMs), cpuSystemMs: sum((u) => u.cpuSystemMs), rssStartMB: max((u) => u.rssStartMB), rssPeakMB: max((u) => u.rssPeakMB), heapPeakMB: max((u) => u.heapPeakMB) };
  }

  /** The services' and each worker's figures of the last usage() call. */
  services(): ServicesFigure {
    if (this.figure === null) throw new Error('no usage taken yet');
    return this.figure;
  }

  async close(): Promise<void> {
    this.mosquittoMeter.finish();
    this.postgresMeter.finish();
    for (const w of this.workers) await w.close();
    await this.mosquitto.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The bare replay through a fresh mosquitto; usage = the platform client's process, mosquitto apart. */
export async function replayOnMosquitto(devices: { bundle: ProvisioningBundle; frames: FrameLog }[]): Promise<{ bare: BareFigure; usage: Usage; devicesCpuMs: number; mosquitto: ServiceUsage }> {
  const mosquitto = await PrivateMosquitto.start();
  const meter = new ServiceMeter(() => mosquitto.usage());
  try {
    const { bare, usage, devicesCpuMs } = await replayApart(devices, { url: mosquitto.url, onMark: () => meter.mark() });
    return { bare, usage, devicesCpuMs, mosquitto: meter.finish() };
  } finally {
    meter.finish();
    await mosquitto.stop();
  }
}
