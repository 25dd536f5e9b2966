/**
 * Data processing unit jobs in the jobs / job_events tables (db/migrations.ts): one row per job,
 * its state, the last command the device acknowledged (acked_block), the command count
 * (total_blocks) and a JSON context that never holds a key. Every state change appends an event,
 * so progress can be followed (`tapcard platform jobs`).
 */
import { randomUUID } from 'node:crypto';
import { nowIso, type PlatformDb } from '../db/database';

export type JobKind = 'permission' | 'download' | 'delete' | 'status';

export interface JobRow {
  id: string;
  kind: JobKind;
  device_id: string;
  application_id: string | null;
  card_serial: string | null;
  state: string;
  acked_block: number;
  total_blocks: number | null;
  attempts: number;
  context: string;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Job<C> extends Omit<JobRow, 'context'> {
  context: C;
}

export function createJob<C>(db: PlatformDb, kind: JobKind, deviceId: string, applicationId: string | null, state: string, context: C): Job<C> {
  const id = randomUUID();
  const at = nowIso();
  const json = JSON.stringify(context);
  db.transactionGrouped(() => {
    db.prepare(
      'INSERT INTO jobs (id, kind, device_id, application_id, state, context, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(id, kind, deviceId, applicationId, state, json, at, at);
    db.prepare('INSERT INTO job_events (job_id, at, state, detail) VALUES (?, ?, ?, ?)').run(id, at, state, null);
  })();
  // The row as written, the columns not given at their defaults (db/migrations.ts), without reading
  // it back; the context as getJob() would give it (through JSON).
  return {
    id,
    kind,
    device_id: deviceId,
    application_id: applicationId,
    card_serial: null,
    state,
    acked_block: -1,
    total_blocks: null,
    attempts: 0,
    context: JSON.parse(json) as C,
    error: null,
    created_at: at,
    updated_at: at,
  };
}

export function getJob<C>(db: PlatformDb, id: string): Job<C> | undefined {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  return row === undefined ? undefined : { ...row, context: JSON.parse(row.context) as C };
}

export function listJobs(db: PlatformDb, filter: { deviceId?: string; active?: boolean } = {}): JobRow[] {
  const where: string[] = [];
  const args: string[] = [];
  if (filter.deviceId !== undefined) {
    where.push('device_id = ?');
    args.push(filter.deviceId);
  }
  if (filter.active === true) where.push("state NOT IN ('done', 'failed')");
  const sql = `SELECT * FROM jobs${where.length > 0 ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY created_at, id`;
  return db.prepare(sql).all(...args) as JobRow[];
}

/** What the scheduler needs of an active job to run it. */
export type ActiveJob = Pick<JobRow, 'id' | 'kind' | 'device_id' | 'state' | 'acked_block'>;

/** Every job not done or failed, oldest first (the partial index jobs_active: no finished job is read). */
export function activeJobs(db: PlatformDb): ActiveJob[] {
  return db.prepare("SELECT id, kind, device_id, state, acked_block FROM jobs WHERE state NOT IN ('done', 'failed') ORDER BY created_at, id").all() as ActiveJob[];
}

/**
 * The ids of activeJobs(), in the same order, read from the index jobs_active alone (it holds
 * created_at and id, and only active jobs; sorted after, the index names the device first, for
 * listJobs: migration 6): the scheduler's poll skips the jobs it runs already and reads the rest by
 * id (activeJob). With 1,000 jobs running, a poll read every row's table page before (3.9 -> 0.9 ms
 * for 2,000 rows here).
 */
export function activeJobIds(db: PlatformDb): string[] {
  return (db.prepare("SELECT id FROM jobs WHERE state NOT IN ('done', 'failed') ORDER BY created_at, id").all() as { id: string }[]).map((r) => r.id);
}

/** What activeJobs() gives of one job, or undefined once it is done, failed or gone. */
export function activeJob(db: PlatformDb, id: string): ActiveJob | undefined {
  return db.prepare("SELECT id, kind, device_id, state, acked_block FROM jobs WHERE id = ? AND state NOT IN ('done', 'failed')").get(id) as ActiveJob | undefined;
}

export interface JobUpdate<C> {
  state?: string;
  ackedBlock?: number;
  totalBlocks?: number;
  context?: C;
  cardSerial?: string;
  error?: string | null;
  attempt?: boolean;
  /** Appended to job_events when the state changes (or always, when given). */
  detail?: Record<string, unknown>;
  /**
   * Committed without a durable() of its own (PlatformDb.transactionUnsynced), so the frames that
   * follow do not wait for the disk: only for a move a power cut may take back without harm, where
   * the job resumed from the state before does nothing the SE would refuse (download-job.ts).
   */
  unsynced?: boolean;
}

export function updateJob<C>(db: PlatformDb, job: Job<C>, u: JobUpdate<C>): Job<C> {
  const at = nowIso();
  const next: Job<C> = {
    ...job,
    state: u.state ?? job.state,
    acked_block: u.ackedBlock ?? job.acked_block,
    total_blocks: u.totalBlocks ?? job.total_blocks,
    context: u.context ?? job.context,
    card_serial: u.cardSerial ?? job.card_serial,
    error: u.error === undefined ? job.error : u.error,
    attempts: job.attempts + (u.attempt === true ? 1 : 0),
    updated_at: at,
  };
  (u.unsynced === true ? db.transactionUnsynced : db.transactionGrouped).call(db, () => {
    db.prepare(
      'UPDATE jobs SET state = ?, acked_block = ?, total_blocks = ?, context = ?, card_serial = ?, error = ?, attempts = ?, updated_at = ? WHERE id = ?',
    ).run(next.state, next.acked_block, next.total_blocks, JSON.stringify(next.context), next.card_serial, next.error, next.attempts, at, job.id);
    if (next.state !== job.state || u.detail !== undefined) {
      db.prepare('INSERT INTO job_events (job_id, at, state, detail) VALUES (?, ?, ?, ?)').run(
        job.id,
        at,
        next.state,
        u.detail === undefined ? null : JSON.stringify(u.detail),
      );
    }
  })();
  return next;
}

/**
 * Moves acked_block on, and nothing else, without a durable() of its own (PlatformDb
 * transactionUnsynced): the next command may leave before this commit is on disk. A power cut may
 * take it back, a whole number of such commits; the job then resumes from an older command, whose
 * C-MAC the SE, further on in the session, refuses, so the job opens a new session and starts over
 * (download-job.ts); a kill -9 before the end of its event-loop turn takes it back the same way
 * (it commits with the turn's transaction, PlatformDb.transactionGrouped).
 */
export function recordProgress<C>(db: PlatformDb, job: Job<C>, ackedBlock: number): Job<C> {
  const at = nowIso();
  db.transactionUnsynced(() => {
    db.prepare('UPDATE jobs SET acked_block = ?, updated_at = ? WHERE id = ?').run(ackedBlock, at, job.id);
  })();
  return { ...job, acked_block: ackedBlock, updated_at: at };
}

export function jobEvents(db: PlatformDb, jobId: string): { at: string; state: string; detail: string | null }[] {
  return db.prepare('SELECT at, state, detail FROM job_events WHERE job_id = ? ORDER BY id').all(jobId) as { at: string; state: string; detail: string | null }[];
}
