/**
 * A platform and in-process terminals (MCU + SE core, host/terminal) over the embedded aedes
 * broker, for the end-to-end benches. Two set-ups:
 *
 * - provisioned: `startPlatform` runs its own embedded broker and devices come from
 *   `provisionDevice` (certificate, scrypt password): exactly what `tapcard platform start` and
 *   `tapcard terminal` do. For a few devices (the download bench).
 * - fleet: the bench broker and bench enrolment of bench/_platform-fleet.ts, with the platform
 *   joined to it in process: for hundreds of devices (the platform bench).
 *
 * Both use the bench issuer (bench/_platform-issuer.ts) through `attachFlows({ issuers })`, and every
 * terminal's frames are counted (bench/_platform-frames.ts). Logs are dropped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Terminal, type TerminalOptions } from '../host/terminal/terminal';
import type { DataProcessingUnit, DpuOptions } from '../platform-server/src/flows/data-processing-unit';
import { attachFlows } from '../platform-server/src/flows/flows';
import { silentLog } from '../platform-server/src/log';
import type { EmbeddedBroker } from '../platform-server/src/mqtt/broker';
import { MqttDeviceTransport } from '../net/mqtt/mqtt-transport';
import type { ProvisioningBundle } from '../contracts/provisioning-bundle';
import { Platform, initPlatform } from '../platform-server/src/platform-home';
import { provisionDevice } from '../platform-server/src/provision';
import { startPlatform, type RunningPlatform } from '../platform-server/src/server';
import { BENCH_MAX_PENDING, BenchCredentials, enrolBenchDevices, startBenchBroker } from './_platform-fleet';
import { countingTransport, type FrameLog } from './_platform-frames';
import { SizedTransitIssuer } from './_platform-issuer';

/** No TAPCARD_STORAGE_KEY: the temporary platform uses a development key file in its directory. */
const DEV_ENV: NodeJS.ProcessEnv = {};

export interface BenchTerminal {
  terminal: Terminal;
  frames: FrameLog;
}

export interface BenchWorld {
  platform: Platform;
  dpu: DataProcessingUnit;
  issuer: SizedTransitIssuer;
  /** Bundles for these device ids (provisioned or enrolled, by set-up). */
  devices(ids: string[]): Promise<ProvisioningBundle[]>;
  /** A terminal joined over MQTT, its frames counted. */
  terminal(bundle: ProvisioningBundle): Promise<BenchTerminal>;
  close(): Promise<void>;
}

/** A bench terminal's SE flash size, PoR timeout and SE ciphers (the terminal's defaults when absent). */
export type BenchTerminalOptions = Pick<TerminalOptions, 'flashPages' | 'porTimeoutMs' | 'seCiphers'>;

/**
 * A terminal (MCU + SE core) joined to the broker at brokerUrl, its frames counted, its state under
 * stateRoot or, with stateRoot null, in memory (no open file per terminal).
 */
export async function startBenchTerminal(
  bundle: ProvisioningBundle,
  brokerUrl: string,
  stateRoot: string | null,
  options: BenchTerminalOptions = {},
): Promise<BenchTerminal> {
  const frames: FrameLog = { up: [], down: [] };
  const mqtt = await MqttDeviceTransport.connect(
    bundle.deviceId,
    { url: brokerUrl, clientId: bundle.deviceId, username: bundle.broker.username, password: bundle.broker.password },
    { frameSize: bundle.broker.frameSize },
  );
  const stateDir = stateRoot === null ? null : path.join(stateRoot, bundle.deviceId);
  try {
    const terminal = await Terminal.start({ bundle, stateDir, transport: countingTransport(mqtt, frames), ...options });
    return { terminal, frames };
  } catch (err) {
    // An open connection would keep the broker from closing.
    await mqtt.close().catch(() => {});
    throw err;
  }
}

/** Terminals connect this many at a time (the broker's CONNECT handling stays short). */
const CONNECT_BATCH = 50;

/**
 * startBenchTerminal for every bundle, CONNECT_BATCH at a time, in the bundles' order; `started`
 * hears the count after each batch. If one fails, every terminal started here (its batch's too)
 * is closed before the error is thrown: a connection left open would keep the broker from closing.
 */
export async function startBenchTerminals(
  bundles: ProvisioningBundle[],
  brokerUrl: string,
  stateRoot: string | null,
  options: BenchTerminalOptions,
  started: (count: number) => void = () => {},
): Promise<BenchTerminal[]> {
  const out: BenchTerminal[] = [];
  for (let i = 0; i < bundles.length; i += CONNECT_BATCH) {
    const batch = await Promise.allSettled(bundles.slice(i, i + CONNECT_BATCH).map((b) => startBenchTerminal(b, brokerUrl, stateRoot, options)));
    for (const r of batch) if (r.status === 'fulfilled') out.push(r.value);
    const failed = batch.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      for (const t of out) await t.terminal.close().catch(() => {});
      throw failed.reason;
    }
    started(out.length);
  }
  return out;
}

export async function benchWorld(setup: 'provisioned' | 'fleet', issuer: SizedTransitIssuer, dpuOptions: DpuOptions): Promise<BenchWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-bench-platform-'));
  const stateRoot = mkdtempSync(path.join(tmpdir(), 'tapcard-bench-terminals-'));
  await initPlatform(dir, { env: DEV_ENV });
  const platform = Platform.open(dir, DEV_ENV);
  const terminals: Terminal[] = [];
  let benchBroker: EmbeddedBroker | null = null;
  let running: RunningPlatform | null = null;
  let dpu: DataProcessingUnit | null = null;
  const close = async (): Promise<void> => {
    for (const t of terminals) await t.close().catch(() => {});
    dpu?.close();
    await running?.close();
    await benchBroker?.close();
    platform.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateRoot, { recursive: true, force: true });
  };
  try {
    const creds = new BenchCredentials();
    let brokerUrl: string;
    if (setup === 'fleet') {
      benchBroker = await startBenchBroker(creds);
      brokerUrl = benchBroker.url;
      running = await startPlatform(platform, { mqttPort: 0, httpPort: 0, embeddedBroker: benchBroker, workerId: 'bench', log: silentLog });
    } else {
      // the whole fleet connects from this one host
      running = await startPlatform(platform, { mqttPort: 0, httpPort: 0, maxPendingPerAddress: BENCH_MAX_PENDING, log: silentLog });
      brokerUrl = running.mqtt.url;
    }
    dpu = attachFlows(platform, running.link, silentLog, { ...dpuOptions, issuers: [issuer] });
    const world: BenchWorld = {
      platform,
      dpu,
      issuer,
      async devices(ids) {
        if (setup === 'fleet') return enrolBenchDevices(platform, ids, brokerUrl, creds);
        const out: ProvisioningBundle[] = [];
        for (const deviceId of ids) out.push((await provisionDevice(platform, { deviceId, brokerUrl })).bundle);
        return out;
      },
      async terminal(bundle) {
        const started = await startBenchTerminal(bundle, brokerUrl, stateRoot);
        terminals.push(started.terminal);
        return started;
      },
      close,
    };
    return world;
  } catch (err) {
    await close();
    throw err;
  }
}
