/**
 * `tapcard platform jobs` and `tapcard platform download`, wired from cli/platform.ts
 * (delete and status: platform-delete-status.ts). Both work on the data directory: download queues a
 * job that the running platform (`tapcard platform start` on the same --data) picks up within a
 * second; --wait follows it in the database until it is done or failed. Output carries ids, states
 * and progress, never keys.
 */
import { EXIT } from '../contracts/exit-codes';
import type { Platform } from '../platform-server/src/platform-home';
import { runCommand, secondsOption, UsageError } from './command';
import { PLATFORM_OPTIONS, withPlatform } from './platform-options';
import { queueDownload } from '../platform-server/src/flows/download-job';
import { getJob, listJobs, type JobRow } from '../platform-server/src/flows/jobs';

export const HELP_JOBS = `usage: tapcard platform jobs [--data DIR] [--db URL] [--device ID] [--active] [--json]

Lists the data processing unit's jobs (permission, download, delete, status): state, progress
(acknowledged commands of the install script, or the DELETE) and the card they concern.

  --device ID   only this device's jobs
  --active      only jobs not yet done or failed
`;

export const HELP_DOWNLOAD = `usage: tapcard platform download --device ID --app APP [--wait] [--timeout S] [--data DIR] [--db URL] [--json]

Queues the download of application APP (e.g. transit) to the device's SE. The running platform
(tapcard platform start --data DIR) carries it out: secure channel with the SE, target card, issuer
package, LOAD block by block, card-manager record. With --wait, prints progress until the job ends
(exit 0 when installed, 1 when failed, 7 on --timeout).
`;

/** The options of the subcommands that queue a job and may follow it. */
export const WAIT_OPTIONS = {
  ...PLATFORM_OPTIONS,
  device: { type: 'string' },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '300' },
  json: { type: 'boolean', default: false },
} as const;

export function jobView(j: JobRow): Record<string, unknown> {
  return {
    id: j.id,
    kind: j.kind,
    deviceId: j.device_id,
    applicationId: j.application_id,
    state: j.state,
    acked: j.acked_block + 1,
    total: j.total_blocks,
    cardSerial: j.card_serial,
    attempts: j.attempts,
    error: j.error,
    createdAt: j.created_at,
    updatedAt: j.updated_at,
  };
}

export function line(j: JobRow): string {
  const progress = j.total_blocks === null ? '' : ` ${j.acked_block + 1}/${j.total_blocks}`;
  const card = j.card_serial === null ? '' : ` card ${j.card_serial}`;
  const err = j.error === null ? '' : ` error: ${j.error}`;
  return `${j.id}  ${j.kind.padEnd(10)} ${j.device_id.padEnd(12)} ${(j.application_id ?? '-').padEnd(8)} ${j.state}${progress}${card}${err}`;
}

export function jobsCommand(argv: string[]): Promise<number> {
  const options = { ...PLATFORM_OPTIONS, device: { type: 'string' }, active: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } as const;
  return runCommand({ name: 'platform jobs', help: HELP_JOBS, options }, argv, (v) => {
    return withPlatform(v, (p) => {
      const jobs = listJobs(p.db, { deviceId: v.device, active: v.active });
      if (v.json) console.log(JSON.stringify({ jobs: jobs.map(jobView) }, null, 2));
      else if (jobs.length === 0) console.log('no jobs');
      else for (const j of jobs) console.log(line(j));
      return EXIT.OK;
    });
  });
}

export function downloadCommand(argv: string[]): Promise<number> {
  const options = { ...WAIT_OPTIONS, app: { type: 'string' } } as const;
  return runCommand({ name: 'platform download', help: HELP_DOWNLOAD, options }, argv, async (v) => {
    if (v.device === undefined || v.app === undefined) throw new UsageError('--device and --app are required');
    const timeoutS = secondsOption('timeout', v.timeout);
    const { device, app } = v;
    return withPlatform(v, async (p) => {
      try {
        const job = queueDownload(p, device, app, 'cli');
        if (!v.json) console.log(`download job ${job.id} queued for ${v.device}: ${v.app}`);
        if (!v.wait) {
          if (v.json) console.log(JSON.stringify(jobView({ ...job, context: '' }), null, 2));
          return EXIT.OK;
        }
        const now = await followJob(p, job.id, { json: v.json, timeoutS, command: 'download', dataDir: v.data });
        if (now === null) return EXIT.UNAVAILABLE;
        if (v.json) console.log(JSON.stringify(jobView(now), null, 2));
        else console.log(now.state === 'done' ? `installed: card ${now.card_serial}` : `failed: ${now.error}`);
        return now.state === 'done' ? EXIT.OK : EXIT.FAILURE;
      } catch (err) {
        console.error(`tapcard platform download: ${(err as Error).message}`);
        return EXIT.FAILURE;
      }
    });
  });
}

/**
 * Follows a job in the database until it is done or failed, printing each new state and progress
 * unless json. Returns the finished row, or null (after saying so) when timeoutS passed first.
 */
export async function followJob(p: Platform, jobId: string, o: { json: boolean; timeoutS: number; command: string; dataDir: string }): Promise<JobRow | null> {
  const deadline = Date.now() + o.timeoutS * 1000;
  let shown = '';
  for (;;) {
    const now = getJob(p.db, jobId) as unknown as JobRow;
    const text = line(now);
    if (!o.json && text !== shown) console.log(`  ${now.state}${now.total_blocks === null ? '' : ` ${now.acked_block + 1}/${now.total_blocks}`}`);
    shown = text;
    if (now.state === 'done' || now.state === 'failed') return now;
    if (Date.now() > deadline) {
      console.error(`tapcard platform ${o.command}: job ${jobId} still ${now.state} after ${o.timeoutS} s (is 'tapcard platform start --data ${o.dataDir}' running?)`);
      return null;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
