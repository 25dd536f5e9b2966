/**
 * `tapcard platform delete` and `tapcard platform status` (docs/flows.md §5, §6), wired from
 * cli/platform.ts. Like download, both queue a job in the data directory that the running platform
 * carries out; --wait follows it (platform-jobs.ts followJob). Output carries ids, AIDs, card numbers
 * and states, never keys.
 */
import { EXIT } from '../contracts/exit-codes';
import { followJob, jobView, WAIT_OPTIONS } from './platform-jobs';
import { runCommand, secondsOption, UsageError } from './command';
import { withPlatform } from './platform-options';
import { queueDelete, type DeleteTarget } from '../platform-server/src/flows/delete-job';
import { JobRequestError } from '../platform-server/src/flows/job-request';
import { getJob, type Job } from '../platform-server/src/flows/jobs';
import { latestStatus, queueStatus, type StatusContext, type StatusReport } from '../platform-server/src/flows/status-job';

export const HELP_DELETE = `usage: tapcard platform delete --device ID (--app APP | --aid AID) [--wait] [--timeout S] [--data DIR] [--db URL] [--json]

Queues the removal of an application from the device's SE. The running platform (tapcard platform
start --data DIR) carries it out in its own secure channel with the SE, the terminal relaying what
it cannot read: DELETE of the application's load file with its instance, a check that no card
holds it any more, then the card is marked empty and its installation removed (audit
delete.removed). A card the SE no longer holds (SW 6A88) ends the job as done too, and the
platform's rows are fixed.

  --app APP     the application installed on the device, per the platform's records
  --aid AID     an instance or load file AID on the SE, hex (5 to 16 octets)
  --wait        follow the job until it ends
  --timeout S   seconds --wait waits (default 300)

Exit: 0 queued or deleted, 1 failed, 2 usage, 4 APP not installed or device unknown, 7 --wait timed out.
`;

export const HELP_STATUS = `usage: tapcard platform status --device ID [--wait] [--timeout S] [--data DIR] [--db URL] [--json]

Queues a status job: the running platform reads the device's SE registry (GET STATUS of the ISD,
applications and load files, under its own secure channel) and each card's card-manager record,
reconciles them with its cards and installations rows and stores the result. Shown: with --wait
the result this call asked for; without, the latest finished one (if any) while the new one runs.
Drift lists where the SE and the platform disagree (missing-on-se, unknown-on-se,
instance-differs, card-number-differs, row-in-transition, no-card-manager-record,
orphan-load-file); the rows are left as they are.

  --wait        follow the job until it ends
  --timeout S   seconds --wait waits (default 300)

Exit: 0 shown (drift or not), 1 failed, 2 usage, 4 device unknown, 7 --wait timed out.
`;

function requestFailure(command: string, err: unknown): number {
  console.error(`tapcard platform ${command}: ${(err as Error).message}`);
  if (err instanceof JobRequestError) return err.code === 'BAD_REQUEST' ? EXIT.USAGE : EXIT.NOT_FOUND;
  return EXIT.FAILURE;
}

export function deleteCommand(argv: string[]): Promise<number> {
  const options = { ...WAIT_OPTIONS, app: { type: 'string' }, aid: { type: 'string' } } as const;
  return runCommand({ name: 'platform delete', help: HELP_DELETE, options }, argv, async (v) => {
    if (v.device === undefined || (v.app === undefined) === (v.aid === undefined)) throw new UsageError('--device and one of --app or --aid are required');
    const timeoutS = secondsOption('timeout', v.timeout);
    const target: DeleteTarget = v.app !== undefined ? { applicationId: v.app } : { aid: v.aid as string };
    const device = v.device;
    return withPlatform(v, async (p) => {
      try {
        const job = queueDelete(p, device, target, 'cli');
        if (!v.json) console.log(`delete job ${job.id} queued for ${v.device}: ${v.app ?? job.context.instanceAid}`);
        if (!v.wait) {
          if (v.json) console.log(JSON.stringify(jobView({ ...job, context: '' }), null, 2));
          return EXIT.OK;
        }
        const now = await followJob(p, job.id, { json: v.json, timeoutS, command: 'delete', dataDir: v.data });
        if (now === null) return EXIT.UNAVAILABLE;
        const alreadyGone = (getJob<{ alreadyGone: boolean }>(p.db, now.id) as Job<{ alreadyGone: boolean }>).context.alreadyGone;
        if (v.json) console.log(JSON.stringify({ ...jobView(now), alreadyGone }, null, 2));
        else if (now.state === 'failed') console.log(`failed: ${now.error}`);
        else console.log(alreadyGone ? `already gone from the SE; platform records fixed${now.card_serial === null ? '' : ` (card ${now.card_serial})`}` : `deleted${now.card_serial === null ? '' : `: card ${now.card_serial}`}`);
        return now.state === 'done' ? EXIT.OK : EXIT.FAILURE;
      } catch (err) {
        return requestFailure('delete', err);
      }
    });
  });
}

export function statusCommand(argv: string[]): Promise<number> {
  return runCommand({ name: 'platform status', help: HELP_STATUS, options: WAIT_OPTIONS }, argv, async (v) => {
    const device = v.device;
    if (device === undefined) throw new UsageError('--device is required');
    const timeoutS = secondsOption('timeout', v.timeout);
    return withPlatform(v, async (p) => {
      try {
        const job = queueStatus(p, device, 'cli');
        let shown: Job<StatusContext> | undefined;
        if (v.wait) {
          if (!v.json) console.log(`status job ${job.id} queued for ${v.device}`);
          const now = await followJob(p, job.id, { json: v.json, timeoutS, command: 'status', dataDir: v.data });
          if (now === null) return EXIT.UNAVAILABLE;
          if (now.state === 'failed') {
            if (v.json) console.log(JSON.stringify({ ...jobView(now), report: null }, null, 2));
            else console.log(`failed: ${now.error}`);
            return EXIT.FAILURE;
          }
          shown = getJob<StatusContext>(p.db, job.id);
        } else {
          shown = latestStatus(p.db, device);
        }
        const report = shown?.context.report ?? null;
        if (v.json) {
          console.log(JSON.stringify({ deviceId: v.device, queuedJobId: job.id, jobId: shown?.id ?? null, report }, null, 2));
        } else {
          if (!v.wait) console.log(`status job ${job.id} queued for ${v.device}${report === null ? '' : '; showing the latest finished one'}`);
          if (report === null || shown === undefined) console.log(`no status read yet for ${v.device}`);
          else for (const l of renderReport(device, shown.id, report)) console.log(l);
        }
        return EXIT.OK;
      } catch (err) {
        return requestFailure('status', err);
      }
    });
  });
}

function renderReport(deviceId: string, jobId: string, r: StatusReport): string[] {
  const out = [`SE ${r.seSerial} of ${deviceId}, read ${r.readAt} (job ${jobId})`];
  out.push(r.isd === null ? '  ISD   not listed' : `  ISD   ${r.isd.aid}  life cycle ${r.isd.lifeCycle.toString(16).padStart(2, '0')}`);
  if (r.cards.length === 0) out.push('  cards none');
  for (const c of r.cards) {
    const where = c.slot === null ? 'slot ?' : `slot ${c.slot}`;
    const se = c.instanceAid === null ? 'not on the SE' : `instance ${c.instanceAid}${c.loadFileAid === null ? '' : ` from ${c.loadFileAid}`}`;
    const rec = c.record === null ? '' : `  no. ${c.record.cardNumber}  balance ${c.record.balance}  v${c.record.version}`;
    const platform = c.platform === null ? '  platform: none' : `  platform: ${c.platform.state}${c.platform.applicationId === null ? '' : ` ${c.platform.applicationId}`}`;
    out.push(`  ${where}  card ${c.cardSerial ?? '-'}  ${se}${rec}${platform}`);
  }
  out.push(`  load files ${r.loadFiles.length === 0 ? 'none' : r.loadFiles.map((f) => `${f.aid}${f.version === null ? '' : ` (${f.version})`}`).join(', ')}`);
  if (r.drift.length === 0) out.push('  drift none: the SE and the platform agree');
  else for (const d of r.drift) out.push(`  drift ${d.kind}: ${d.detail}`);
  return out;
}
