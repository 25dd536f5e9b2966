/**
 * One platform worker for the platform bench (bench/_platform-process.ts, mode `worker`): what
 * `tapcard platform worker` runs (cli/platform.ts: device leases, the platform joined to the shared
 * external broker with its lease-routed transport, the flows with the leases), on the bench's
 * PostgreSQL database and mosquitto, with the bench issuer instead of the simulated parties and
 * no HTTP API traffic. The bench's devices are enrolled by whichever worker the parent asks.
 */
import { attachFlows } from '../platform-server/src/flows/flows';
import { silentLog } from '../platform-server/src/log';
import { Platform } from '../platform-server/src/platform-home';
import { startPlatform } from '../platform-server/src/server';
import { DeviceLeases } from '../platform-server/src/workers/device-leases';
import { BenchCredentials, enrolBenchDevices } from './_platform-fleet';
import { SizedTransitIssuer } from './_platform-issuer';
import { waitForJob, type ProcessSide } from './_platform-process';

export interface WorkerConfig {
  dataDir: string;
  dbUrl: string;
  /** The shared broker, as the platform principal (user name `platform` for the ACL). */
  brokerUrl: string;
  /** The URL devices connect to (in their bundles). */
  deviceBrokerUrl: string;
  workerId: string;
  leaseMs: number;
  /** This worker's card numbers start above it. */
  cardSerialBase: number;
}

const DEV_ENV: NodeJS.ProcessEnv = {};

export async function workerSide(c: WorkerConfig, porTimeoutMs: number, packageBytes: number): Promise<ProcessSide> {
  const platform = Platform.open(c.dataDir, DEV_ENV, c.dbUrl);
  const issuer = new SizedTransitIssuer(packageBytes, c.cardSerialBase);
  const leases = new DeviceLeases(platform.db, c.workerId, c.leaseMs);
  leases.start();
  const running = await startPlatform(platform, { mqttPort: null, httpPort: 0, broker: c.brokerUrl, workerId: c.workerId, leases, log: silentLog });
  const dpu = attachFlows(platform, running.link, silentLog, { leases, porTimeoutMs, issuers: [issuer] });
  return {
    brokerUrl: c.deviceBrokerUrl,
    ops: {
      // mosquitto checks no passwords here: the bench's password table is left unused.
      enrol: (ids) => enrolBenchDevices(platform, ids as string[], c.deviceBrokerUrl, new BenchCredentials()),
      // Resolves on the worker that runs the job; on the others it never does (the parent takes the first).
      waitFor: waitForJob(dpu, issuer),
    },
    async close() {
      dpu.close();
      leases.release();
      await running.close();
      platform.close();
    },
  };
}
