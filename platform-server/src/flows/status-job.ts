/**
 * The status job (docs/flows.md §6): the platform reads a device's SE registry over its
 * own SCP03 session through the MCU relay (GET STATUS of the ISD, applications and load files,
 * R-ENC'd so the MCU cannot read them), and the card-manager record of every application, then
 * reconciles them with its cards and installations rows (registry-reconcile.ts) and stores the
 * report in the job's context. `tapcard platform status` shows the latest one. Named steps
 * (job-steps.ts) run by the scheduler (job-scheduler.ts):
 *
 *   queued -> opening -> reading -> done        (any -> failed)
 *
 *   relay seq  what
 *   0-2        SELECT ISD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE (se-relay.ts)
 *   3..        GET STATUS P1 80, 40, 20, each continued with P2 03 while the SE answers 6310
 *              (GPCS 11.4.2), then one card-manager record per application
 *
 * Reads change nothing on the SE, so a job found in 'reading' after a platform restart reads again
 * from a new session rather than re-deriving the old one.
 */
import { randomInt } from 'node:crypto';
import { P1_STATUS_APPS, P1_STATUS_ISD, P1_STATUS_LOAD_FILES } from '../../../firmware/src/core/gp/constants';
import { SW } from '../../../firmware/src/core/sw';
import { audit } from '../db/audit';
import { nowIso, type PlatformDb } from '../db/database';
import type { Platform } from '../platform-home';
import { readCardRecord } from './card-record';
import type { SeChannel } from './data-security-unit';
import { activeDevice } from './job-request';
import { OPENING, inSession, jobMachine, openAndPersist, startOpening, type JobMachine, type StepEnv } from './job-steps';
import { createJob, getJob, listJobs, updateJob, type Job } from './jobs';
import { platformCards } from './platform-cards';
import { reconcile, type CardStatus, type Drift, type SeRegistry } from './registry-reconcile';
import { SEQ_AFTER_OPEN, readRegistry, statusCommand, swOf, type RegistryView, type RelayContext } from './se-relay';

export interface StatusReport {
  readAt: string;
  seSerial: string;
  isd: { aid: string; lifeCycle: number } | null;
  loadFiles: { aid: string; version: string | null }[];
  cards: CardStatus[];
  drift: Drift[];
}

export interface StatusContext extends RelayContext {
  report: StatusReport | null;
}

/** GET STATUS continuations (6310) followed per registry part before the answer is taken as endless. */
const MAX_CONTINUATIONS = 16;
/** The relay's progress total: opening, three registry parts, a record per card (4 slots). */
const STATUS_TOTAL = SEQ_AFTER_OPEN + 3 + 4;

/** Writes a queued status job, or returns the device's active one. */
export function queueStatus(p: Platform, deviceId: string, actor: string): Job<StatusContext> {
  activeDevice(p, deviceId);
  const active = listJobs(p.db, { deviceId, active: true }).find((j) => j.kind === 'status');
  if (active !== undefined) return getJob<StatusContext>(p.db, active.id) as Job<StatusContext>;
  const job = createJob<StatusContext>(p.db, 'status', deviceId, null, 'queued', { relayRef: randomInt(1, 0x7fffffff), seed: null, report: null });
  audit(p.db, actor, 'status.requested', deviceId, { jobId: job.id });
  return job;
}

/** The device's latest finished status job (its report in context.report), if any. */
export function latestStatus(db: PlatformDb, deviceId: string): Job<StatusContext> | undefined {
  // Jobs finished in the same millisecond: the one whose last event was written last.
  const row = db
    .prepare(
      "SELECT id FROM jobs WHERE device_id = ? AND kind = 'status' AND state = 'done' ORDER BY updated_at DESC, (SELECT MAX(e.id) FROM job_events e WHERE e.job_id = jobs.id) DESC LIMIT 1",
    )
    .get(deviceId) as
    | { id: string }
    | undefined;
  return row === undefined ? undefined : getJob<StatusContext>(db, row.id);
}

/** The status steps: the session is opened and read in one go ('reading' marks that it was open). */
export const statusJob: JobMachine = jobMachine<StatusContext>('status', {
  queued: startOpening,
  opening: async (env, job) => {
    const reading = await openAndPersist(env, job, STATUS_TOTAL, 'reading');
    return inSession(env, reading, [], (channel) => read(env, reading, channel));
  },
  // Left by an earlier run of the platform: read again from a new session.
  reading: async (env, job) =>
    updateJob(env.p.db, job, { state: OPENING, context: { ...job.context, relayRef: randomInt(1, 0x7fffffff), seed: null }, detail: { reread: 'resumed' } }),
});

async function read(env: StepEnv, job: Job<StatusContext>, channel: SeChannel): Promise<Job<StatusContext>> {
  let seq = SEQ_AFTER_OPEN;
  const part = async (p1: number): Promise<RegistryView[]> => {
    const out: RegistryView[] = [];
    for (let i = 0; i <= MAX_CONTINUATIONS; i++) {
      const answer = await env.relay.protectedCommand(job, channel, seq++, statusCommand(p1, i > 0), [SW.OK, SW.WARN_MORE_DATA, SW.ERR_REFERENCED_DATA_NOT_FOUND], STATUS_TOTAL);
      const { entries, malformed } = readRegistry(answer);
      if (malformed) throw new Error(`GET STATUS P1 ${p1.toString(16)}: malformed registry entry`);
      out.push(...entries);
      if (swOf(answer) !== SW.WARN_MORE_DATA) return out;
    }
    throw new Error(`GET STATUS P1 ${p1.toString(16)}: still more data after ${MAX_CONTINUATIONS} continuations`);
  };
  const isd = await part(P1_STATUS_ISD);
  const apps = await part(P1_STATUS_APPS);
  const files = await part(P1_STATUS_LOAD_FILES);
  const se: SeRegistry = { isd: isd[0] ?? null, applications: [], loadFiles: files };
  for (const entry of apps) se.applications.push({ entry, record: await readCardRecord(env.relay, job, seq++, entry.aid, STATUS_TOTAL) });
  const { cards, drift } = reconcile(env.seSerial, se, platformCards(env.p.db, env.seSerial));
  const report: StatusReport = {
    readAt: nowIso(),
    seSerial: env.seSerial.toLowerCase(),
    isd: se.isd === null ? null : { aid: se.isd.aid, lifeCycle: se.isd.lifeCycle },
    loadFiles: files.map((f) => ({ aid: f.aid, version: f.version })),
    cards,
    drift,
  };
  const db = env.p.db;
  let done = job;
  db.transactionGrouped(() => {
    env.fence(job.device_id);
    done = updateJob(db, job, { state: 'done', context: { ...job.context, report }, detail: { cards: cards.length, drift: drift.length } });
    audit(db, 'platform', 'status.reconciled', job.device_id, { jobId: job.id, cards: cards.length, drift: drift.map((d) => ({ kind: d.kind, cardSerial: d.cardSerial, aid: d.aid })) });
  })();
  env.log('dpu.job.done', { jobId: job.id, cards: cards.length, drift: drift.length });
  return done;
}
