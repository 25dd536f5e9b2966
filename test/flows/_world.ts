/**
 * A platform and terminals in one process for the flow tests: a fresh platform directory, the
 * platform link over an in-memory network (or a given transport), the flows attached, and
 * terminals with their own state directories. Every log line of both sides is kept, so tests can
 * check that no key shows up in any of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { attachFlows } from '../../platform-server/src/flows/flows';
import type { IssuerAdapter } from '../../contracts/issuer';
import { TransitIssuer } from '../../parties/transit-issuer';
import type { DataProcessingUnit, DpuOptions } from '../../platform-server/src/flows/data-processing-unit';
import { PlatformLink } from '../../platform-server/src/link/platform-link';
import { countersFromDb, linkKeysFromStore } from '../../platform-server/src/link/link-sources';
import { createLog, type Log } from '../../platform-server/src/log';
import type { DeviceLinkTransport, LinkTransport } from '../../net/mqtt/link-transport';
import { MemoryLinkNetwork } from '../../platform-server/src/mqtt/memory-transport';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { Platform } from '../../platform-server/src/platform-home';
import type { DeviceLeases } from '../../platform-server/src/workers/device-leases';
import { provisionDevice } from '../../platform-server/src/provision';
import { Terminal } from '../../host/terminal/terminal';
import { NO_ENV_KEY, tempPlatform, type TempPlatform } from '../platform/_fixtures';

export interface FlowWorld {
  tp: TempPlatform;
  platform: Platform;
  network: MemoryLinkNetwork;
  link: PlatformLink;
  dpu: DataProcessingUnit;
  lines: string[];
  log: Log;
  stateRoot: string;
  provision(deviceId: string): Promise<ProvisioningBundle>;
  terminal(bundle: ProvisioningBundle, transport?: DeviceLinkTransport): Promise<Terminal>;
  /** Closes link and flows and opens them again on the same data directory (a platform restart). */
  restartPlatform(transport?: LinkTransport): Promise<void>;
  close(): Promise<void>;
}

export const FAST: DpuOptions = { porTimeoutMs: 400, sendLimit: 50 };

export async function flowWorld(
  opts: {
    dpu?: DpuOptions & { issuers?: IssuerAdapter[] };
    platformTransport?: (network: MemoryLinkNetwork) => LinkTransport;
    /** Run the flows as one of several workers: the device leases it takes on the platform's database. */
    leases?: (platform: Platform) => DeviceLeases;
  } = {},
): Promise<FlowWorld> {
  const tp = await tempPlatform();
  const lines: string[] = [];
  const log = createLog((l) => lines.push(l), 'json');
  const network = new MemoryLinkNetwork();
  const stateRoot = mkdtempSync(path.join(tmpdir(), 'tapcard-terminals-'));
  const terminals: Terminal[] = [];
  const open = (platform: Platform, transport: LinkTransport): { link: PlatformLink; dpu: DataProcessingUnit } => {
    const link = new PlatformLink({ transport, keys: linkKeysFromStore(platform), counters: countersFromDb(platform), log });
    const dpu = attachFlows(platform, link, log, { ...FAST, ...opts.dpu, leases: opts.leases?.(platform), issuers: opts.dpu?.issuers ?? [new TransitIssuer()] });
    return { link, dpu };
  };
  const first = open(tp.platform, opts.platformTransport?.(network) ?? network.platform());
  const world: FlowWorld = {
    tp,
    platform: tp.platform,
    network,
    link: first.link,
    dpu: first.dpu,
    lines,
    log,
    stateRoot,
    async provision(deviceId) {
      return (await provisionDevice(world.platform, { deviceId })).bundle;
    },
    async terminal(bundle, transport) {
      const t = await Terminal.start({
        bundle,
        stateDir: path.join(stateRoot, bundle.deviceId),
        transport: transport ?? network.device(bundle.deviceId),
        log: (event, detail) => lines.push(JSON.stringify({ event, ...detail })),
      });
      terminals.push(t);
      return t;
    },
    async restartPlatform(transport) {
      world.dpu.close();
      await world.link.close();
      world.platform.close();
      world.platform = Platform.open(tp.dir, NO_ENV_KEY);
      const next = open(world.platform, transport ?? network.platform());
      world.link = next.link;
      world.dpu = next.dpu;
    },
    async close() {
      world.dpu.close();
      await world.link.close();
      for (const t of terminals) await t.close().catch(() => {});
      world.platform.close();
      rmSync(tp.dir, { recursive: true, force: true });
      rmSync(stateRoot, { recursive: true, force: true });
    },
  };
  return world;
}

/** Every hex string of 16+ bytes that is a key in the bundle, for "no key in any log" checks. */
export function bundleSecrets(b: ProvisioningBundle): string[] {
  return [b.link.kic, b.link.kid, b.se.isd.enc, b.se.isd.mac, b.se.isd.dek, b.broker.password];
}
