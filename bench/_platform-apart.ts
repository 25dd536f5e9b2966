/**
 * The parent's side of bench/_platform-process.ts: starts the platform (or the bare broker) in a
 * process of its own and talks to it over the IPC channel, and the bare-broker replay with the
 * fleet's clients here and the broker and platform client there (the same split as the flows run).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttDeviceTransport } from '../net/mqtt/mqtt-transport';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { connectDevices, type BareFigure } from './_platform-bare';
import type { FrameLog } from './_platform-frames';
import type { ProcessMode, Usage } from './_platform-process';
import { msSince } from './_report';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '_platform-process.ts');

export interface JobOutcome {
  state: string;
  error: string | null;
  cardNumber: string | null;
}

export class ServerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly brokerUrl: string,
  ) {
    child.on('message', (m: { id: number; value?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (w === undefined) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.reject(new Error(`platform process: ${m.error}`));
      else w.resolve(m.value);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`platform process exited (${code})`));
      this.waiting.clear();
    });
  }

  /** porTimeoutMs and packageBytes: the flows' PoR timeout and the bench issuer's package size; extra: the mode's own argument (_platform-process.ts). */
  static start(mode: ProcessMode, porTimeoutMs = 0, packageBytes = 0, extra?: string): Promise<ServerProcess> {
    // TAPCARD_BENCH_CPU_PROF=DIR: a V8 CPU profile of the platform process (node --cpu-prof).
    const prof = process.env.TAPCARD_BENCH_CPU_PROF;
    const profile = prof === undefined || prof === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', prof];
    // TAPCARD_BENCH_PLATFORM_FLAGS='--heap-prof --heapsnapshot-signal=SIGUSR2': more node flags for it (space-separated).
    const flags = (process.env.TAPCARD_BENCH_PLATFORM_FLAGS ?? '').split(' ').filter((f) => f !== '');
    const child = fork(SCRIPT, [mode, String(porTimeoutMs), String(packageBytes), ...(extra === undefined ? [] : [extra])], { execArgv: ['--import', 'tsx', ...profile, ...flags], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('message', (m: { value: { brokerUrl: string } }) => resolve(new ServerProcess(child, m.value.brokerUrl)));
      child.once('exit', (code) => reject(new Error(`platform process exited (${code}) before it was ready`)));
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  call<T>(op: string, arg?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // After the child has died the send fails here instead of as an unhandled 'error' event.
      this.child.send({ id, op, arg }, (err) => {
        if (err === null || !this.waiting.delete(id)) return;
        reject(new Error(`platform process: ${err.message}`));
      });
    });
  }

  enrol(ids: string[]): Promise<ProvisioningBundle[]> {
    return this.call('enrol', ids);
  }

  waitFor(jobId: string, deviceId: string): Promise<JobOutcome> {
    return this.call('waitFor', { jobId, deviceId });
  }

  mark(): Promise<void> {
    return this.call('mark');
  }

  usage(): Promise<Usage> {
    return this.call('usage');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call('close').catch(() => {});
    await exited;
  }
}

/**
 * The same messages as a flows run on a bare broker in its own process: the devices publish their
 * up frames from here, the platform client there publishes the down frames; timed from the first
 * publish to the last frame received on both sides. Returns the figure, the broker process's usage
 * and this process's CPU time over the timed replay (the device clients'). With an external broker (mosquitto) the child holds only the platform client, its usage is then
 * the client's alone, and external.onMark() starts the broker's own measurement with the timed phase.
 */
export async function replayApart(
  devices: { bundle: ProvisioningBundle; frames: FrameLog }[],
  external?: { url: string; onMark(): void },
  warm: { bundle: ProvisioningBundle; frames: FrameLog }[] = [],
): Promise<{ bare: BareFigure; usage: Usage; devicesCpuMs: number }> {
  const server = await ServerProcess.start('bare', 0, 0, external?.url);
  const clients: MqttDeviceTransport[] = [];
  try {
    await server.call('admit', [...devices, ...warm].map((d) => d.bundle));
    // The warm-up devices' frames first, untimed (bench/platform.ts TAPCARD_BENCH_WARMUP_JOBS).
    if (warm.length > 0) await replayOn(server, warm, clients, async () => {});
    let octets = 0;
    for (const d of devices) {
      for (const n of d.frames.up) octets += n;
      for (const n of d.frames.down) octets += n;
    }
    const { messages, ms, cpuMs } = await replayOn(server, devices, clients, async () => {
      await server.mark();
      external?.onMark();
    });
    const usage = await server.usage();
    return { bare: { messages, octets, ms, messagesPerS: messages / (ms / 1000) }, usage, devicesCpuMs: cpuMs };
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await server.close();
  }
}

/**
 * Connects the devices' clients (kept in `clients` for the caller to close), then, after `mark`,
 * replays their frames: theirs up from here, the platform client's down there. Timed from the
 * first publish to the last frame received on both sides; cpuMs is this process's CPU time over it.
 */
async function replayOn(
  server: ServerProcess,
  devices: { bundle: ProvisioningBundle; frames: FrameLog }[],
  clients: MqttDeviceTransport[],
  mark: () => Promise<void>,
): Promise<{ messages: number; ms: number; cpuMs: number }> {
  let up = 0;
  let down = 0;
  for (const d of devices) {
    up += d.frames.up.length;
    down += d.frames.down.length;
  }
  let received = 0;
  let allDown: () => void = () => {};
  const downDone = new Promise<void>((resolve) => (allDown = resolve));
  if (down === 0) allDown();
  const mine = await connectDevices(
    server.brokerUrl,
    devices,
    () => {
      if (++received === down) allDown();
    },
    clients,
  );
  await mark();
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const there = server.call('replay', { up, down: devices.map((d) => ({ deviceId: d.bundle.deviceId, sizes: d.frames.down })) });
  const here = devices.map(async (d, i) => {
    for (const n of d.frames.up) await mine[i].send(new Uint8Array(n));
  });
  await Promise.all([there, ...here, downDone]);
  const ms = msSince(start);
  const cpu = process.cpuUsage(cpu0);
  return { messages: up + down, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}
