/**
 * The platform bench's server side in a process of its own, so its CPU time and memory are
 * measured apart from the simulated fleet (bench/_platform-apart.ts starts it with fork()). Two
 * modes, by argv[2]:
 *
 * - flows (argv[3] the PoR timeout in ms, argv[4] the package size): the embedded default: the bench broker (bench/_platform-fleet.ts) and the platform with
 *   its flows and the bench issuer, joined to that broker in process (startPlatform embeddedBroker),
 *   as `tapcard platform start` joins its own.
 * - bare: the same bench broker and one platform MQTT client (joined in process too) that counts the up frames it receives
 *   and publishes each device's down frames one after another (each awaiting its PUBACK), no link
 *   security, no flows (as bench/_platform-bare.ts does in one process). With argv[5], a broker URL,
 *   the same client on that external broker instead (mosquitto), and no broker here.
 * - worker (argv[5] the JSON of a WorkerConfig): one of N platform workers on mosquitto +
 *   PostgreSQL (bench/_platform-worker-side.ts).
 *
 * It answers the parent's requests ({ id, op, arg } -> { id, value } or { id, error }) over the
 * IPC channel; `usage` gives CPU time (process.cpuUsage) and rss/heap peaks sampled every 100 ms
 * since the last `mark`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { MqttPlatformTransport } from '../net/mqtt/mqtt-transport';
import type { DataProcessingUnit } from '../platform-server/src/flows/data-processing-unit';
import { attachFlows } from '../platform-server/src/flows/flows';
import { applyHeapPolicy } from '../platform-server/src/heap-policy';
import { silentLog } from '../platform-server/src/log';
import type { BrokerLog, EmbeddedBroker } from '../platform-server/src/mqtt/broker';
import { PLATFORM_PRINCIPAL, Platform, initPlatform } from '../platform-server/src/platform-home';
import { inProcessEndpoint, startPlatform, type RunningPlatform } from '../platform-server/src/server';
import { BenchCredentials, enrolBenchDevices, startBenchBroker } from './_platform-fleet';
import { SizedTransitIssuer } from './_platform-issuer';
import { workerSide, type WorkerConfig } from './_platform-worker-side';

export type ProcessMode = 'flows' | 'bare' | 'worker';

/** What the parent asks; each op's argument and answer are typed in _platform-apart.ts. */
export interface Request {
  id: number;
  op: string;
  arg?: unknown;
}

export interface Usage {
  cpuUserMs: number;
  cpuSystemMs: number;
  rssStartMB: number;
  rssPeakMB: number;
  heapPeakMB: number;
}

const MEMORY_SAMPLE_MS = 100;
const DEV_ENV: NodeJS.ProcessEnv = {};

function mb(bytes: number): number {
  return bytes / 1048576;
}

class UsageMeter {
  private cpu0 = process.cpuUsage();
  private rssStart = process.memoryUsage().rss;
  private rssPeak = 0;
  private heapPeak = 0;
  private readonly timer = setInterval(() => this.sample(), MEMORY_SAMPLE_MS);

  mark(): void {
    this.cpu0 = process.cpuUsage();
    this.rssStart = process.memoryUsage().rss;
    this.rssPeak = 0;
    this.heapPeak = 0;
    this.sample();
  }

  usage(): Usage {
    this.sample();
    const cpu = process.cpuUsage(this.cpu0);
    return { cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, rssStartMB: mb(this.rssStart), rssPeakMB: mb(this.rssPeak), heapPeakMB: mb(this.heapPeak) };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.rssPeak) this.rssPeak = m.rss;
    if (m.heapUsed > this.heapPeak) this.heapPeak = m.heapUsed;
  }
}

type Handler = (arg: unknown) => Promise<unknown> | unknown;

const TROUBLE_LINES_MAX = 20;

/** The broker's client and connection errors (a dropped client stalls its jobs) on stderr, the first TROUBLE_LINES_MAX of them. */
function brokerTroubleLog(): BrokerLog {
  let lines = 0;
  return (event, detail) => {
    if (!event.endsWith('.error') || lines++ >= TROUBLE_LINES_MAX) return;
    console.error(`platform process, bench broker: ${event} ${JSON.stringify(detail)}`);
  };
}

/** What a mode runs: the URL its devices connect to, its own ops, and its shutdown. */
export interface ProcessSide {
  brokerUrl: string;
  ops: Record<string, Handler>;
  close(): Promise<void>;
}

/** The `waitFor` op: the job's end as this process's flows see it, and the card number issued for the device. */
export function waitForJob(dpu: DataProcessingUnit, issuer: SizedTransitIssuer): Handler {
  return async (arg) => {
    const { jobId, deviceId } = arg as { jobId: string; deviceId: string };
    const job = await dpu.waitFor(jobId);
    return { state: job.state, error: job.error, cardNumber: issuer.issued.get(deviceId)?.cardNumber ?? null };
  };
}

async function flowsSide(porTimeoutMs: number, packageBytes: number): Promise<ProcessSide> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-bench-platform-'));
  await initPlatform(dir, { env: DEV_ENV });
  const platform = Platform.open(dir, DEV_ENV);
  const issuer = new SizedTransitIssuer(packageBytes);
  const creds = new BenchCredentials();
  const broker = await startBenchBroker(creds, brokerTroubleLog());
  // Joined in process, as `tapcard platform start` joins its own embedded broker.
  const running: RunningPlatform = await startPlatform(platform, { mqttPort: 0, httpPort: 0, embeddedBroker: broker, workerId: 'bench', log: silentLog });
  const dpu: DataProcessingUnit = attachFlows(platform, running.link, silentLog, { porTimeoutMs, issuers: [issuer] });
  return {
    brokerUrl: broker.url,
    ops: {
      enrol: (ids) => enrolBenchDevices(platform, ids as string[], broker.url, creds),
      waitFor: waitForJob(dpu, issuer),
    },
    async close() {
      dpu.close();
      await running.close();
      await broker.close();
      platform.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** external: a broker URL (its devices need no admission here), else the bench broker in this process. */
async function bareSide(external: string | undefined): Promise<ProcessSide> {
  const creds = new BenchCredentials();
  const password = randomBytes(18).toString('base64url');
  creds.add(PLATFORM_PRINCIPAL, password, { role: 'platform', id: PLATFORM_PRINCIPAL });
  const broker: EmbeddedBroker | null = external === undefined ? await startBenchBroker(creds) : null;
  const brokerUrl = broker?.url ?? (external as string);
  const clientId = `${PLATFORM_PRINCIPAL}.bare`;
  // The bench broker here is joined in process, as the flows' platform joins its broker.
  const platform = await MqttPlatformTransport.connect(broker !== null ? inProcessEndpoint(broker, clientId) : { url: brokerUrl, clientId, username: PLATFORM_PRINCIPAL, password });
  let received = 0;
  let expectedUp = -1;
  let upTarget = 0;
  let allUp: () => void = () => {};
  platform.onFrame(() => {
    if (++received === expectedUp) allUp();
  });
  return {
    brokerUrl,
    ops: {
      admit(arg) {
        for (const b of arg as ProvisioningBundle[]) creds.add(b.deviceId, b.broker.password, { role: 'device', id: b.deviceId });
        return null;
      },
      /** Publishes every device's down frames and resolves once `up` frames have arrived as well. */
      async replay(arg) {
        const { up, down } = arg as { up: number; down: { deviceId: string; sizes: number[] }[] };
        // Replays run one after the other (a warm-up one first), each once the last has ended, and
        // a device's first up frames may arrive before this call: the count goes on across them.
        upTarget += up;
        const target = upTarget;
        const upDone = new Promise<void>((resolve) => {
          expectedUp = target;
          allUp = resolve;
          if (received >= target) resolve();
        });
        const sends = down.map(async (d) => {
          for (const n of d.sizes) await platform.send(d.deviceId, new Uint8Array(n));
        });
        await Promise.all([...sends, upDone]);
        return null;
      },
    },
    async close() {
      await platform.close().catch(() => {});
      await broker?.close();
    },
  };
}

async function main(): Promise<void> {
  const mode = process.argv[2] as ProcessMode;
  const porTimeoutMs = Number(process.argv[3]);
  const packageBytes = Number(process.argv[4]);
  const meter = new UsageMeter();
  // The platform's heap policy, as `tapcard platform start` and `worker` apply it (not to the bare replay's process).
  if (mode !== 'bare') applyHeapPolicy();
  const side =
    mode === 'flows'
      ? await flowsSide(porTimeoutMs, packageBytes)
      : mode === 'worker'
        ? await workerSide(JSON.parse(process.argv[5]) as WorkerConfig, porTimeoutMs, packageBytes)
        : await bareSide(process.argv[5]);
  const ops: Record<string, Handler> = {
    ...side.ops,
    mark: () => meter.mark(),
    usage: () => meter.usage(),
    async close() {
      meter.stop();
      await side.close();
      setImmediate(() => process.disconnect());
      return null;
    },
  };
  process.on('message', (m: Request) => {
    const op = ops[m.op];
    Promise.resolve()
      .then(() => {
        if (op === undefined) throw new Error(`unknown op '${m.op}'`);
        return op(m.arg);
      })
      .then(
        (value) => process.send?.({ id: m.id, value: value ?? null }),
        (err: unknown) => process.send?.({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  process.send?.({ id: 0, value: { brokerUrl: side.brokerUrl } });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
