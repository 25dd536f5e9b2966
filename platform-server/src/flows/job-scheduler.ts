/**
 * The scheduler of the SE jobs (download, delete, status): it finds the active jobs in the
 * database (at start, then by polling for those queued by another process or left by a worker
 * that died), runs a device's jobs one after another, and runs each job step by step
 * (job-steps.ts) until it is done or failed.
 *
 * A step that finds the SE's session gone (SessionLost) sends the job back to 'opening' with a
 * fresh relay reference, up to attemptLimit sessions; any other error fails the job.
 *
 * With several platform workers (workers/device-leases.ts) a device's jobs run on the worker that
 * holds its lease: a job whose device moved to another worker stops here without writing, and the
 * new holder resumes it at the step its state names, exactly as after a restart. The failure of a
 * job, like the outcome of a step that says so (StepEnv.fence), is written under the lease's
 * fencing token.
 *
 * While the database is unavailable (DatabaseUnavailableError) a job neither fails nor goes on: it
 * stops where the database has it, and the poller, whose own queries fail meanwhile, schedules it
 * again once the database answers, to resume at the step its state names.
 */
import { randomInt } from 'node:crypto';
import { audit } from '../db/audit';
import { DatabaseUnavailableError } from '../db/port';
import { getDevice } from '../db/devices';
import type { PlatformLink } from '../link/platform-link';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { LeaseLost, type DeviceLeases } from '../workers/device-leases';
import { KeptSession, OPENING, freshRelayRef, type JobMachine, type StepEnv } from './job-steps';
import { activeJob, activeJobIds, activeJobs, getJob, updateJob, type Job, type JobKind } from './jobs';
import { SEQUENCE_WINDOW, SeRelay, SessionLost, type RelayContext } from './se-relay';

export interface SchedulerOptions {
  /** How long to wait for one PoR. */
  porTimeoutMs?: number;
  /** Sends of one command before the job fails (dropped link). */
  sendLimit?: number;
  /** Sequences of an install script in flight at once (se-relay.ts protectedSequences; 1: one at a time). */
  sequenceWindow?: number;
  /** Fresh sessions per job before it fails (SE lost its session). */
  attemptLimit?: number;
  /** Several workers: run a device's jobs only while this worker holds its lease. */
  leases?: DeviceLeases;
}

const QUEUE_POLL_MS = 1000;

export class JobScheduler {
  private readonly attemptLimit: number;
  private readonly leases: DeviceLeases | null;
  private readonly machines: ReadonlyMap<JobKind, JobMachine>;
  private readonly relay: SeRelay;
  /** One chain per device: its jobs run one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, ((job: Job<RelayContext>) => void)[]>();
  /** Jobs handed to a chain, so the queue poller does not schedule one twice. */
  private readonly scheduled = new Set<string>();
  private poller: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly p: Platform,
    link: PlatformLink,
    private readonly log: Log,
    machines: readonly JobMachine[],
    opts: SchedulerOptions = {},
  ) {
    this.attemptLimit = opts.attemptLimit ?? 3;
    this.leases = opts.leases ?? null;
    this.machines = new Map(machines.map((m) => [m.kind, m]));
    this.relay = new SeRelay(p, link, log, { porTimeoutMs: opts.porTimeoutMs ?? 10_000, sendLimit: opts.sendLimit ?? 20, sequenceWindow: opts.sequenceWindow ?? SEQUENCE_WINDOW }, () => this.closed);
  }

  /** Resumes every active job of the devices this process serves, then polls for new ones. */
  start(): void {
    for (const row of activeJobs(this.p.db)) {
      if (!this.machines.has(row.kind) || !this.serves(row.device_id)) continue;
      this.log('dpu.job.resume', { jobId: row.id, deviceId: row.device_id, state: row.state, ackedBlock: row.acked_block });
      this.schedule(row.device_id, row.id);
    }
    // Jobs queued by another process (`tapcard platform download|delete|status` write them to the
    // database), and jobs of devices whose worker died (their leases expired).
    this.poller = setInterval(() => {
      try {
        for (const id of activeJobIds(this.p.db)) {
          if (this.scheduled.has(id)) continue;
          const row = activeJob(this.p.db, id);
          if (row !== undefined) this.submit(row);
        }
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError)) throw err;
        this.log('dpu.job.poll.failed', { error: err.message });
      }
    }, QUEUE_POLL_MS);
    this.poller.unref();
  }

  close(): void {
    this.closed = true;
    if (this.poller !== null) clearInterval(this.poller);
  }

  /** Runs the job (queued by the caller) unless it already runs here or its device is served elsewhere. */
  submit(job: { id: string; kind: JobKind; device_id: string }): void {
    if (this.machines.has(job.kind) && !this.scheduled.has(job.id) && this.serves(job.device_id)) this.schedule(job.device_id, job.id);
  }

  /** Resolves when the job is done or failed. */
  waitFor<C extends RelayContext>(jobId: string): Promise<Job<C>> {
    const now = getJob<C>(this.p.db, jobId);
    if (now === undefined) return Promise.reject(new Error(`no job '${jobId}'`));
    if (now.state === 'done' || now.state === 'failed') return Promise.resolve(now);
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push((job) => resolve(job as Job<C>));
      this.waiters.set(jobId, list);
    });
  }

  /** True when this process runs the device's jobs: always alone, else while it holds the lease. */
  private serves(deviceId: string): boolean {
    return this.leases === null || this.leases.claim(deviceId);
  }

  /** False once the device moved to another worker: the job is left to it, untouched. */
  private stillServes(job: Job<RelayContext>): boolean {
    if (this.leases === null || this.leases.holds(job.device_id)) return true;
    this.scheduled.delete(job.id);
    this.log('dpu.job.released', { jobId: job.id, deviceId: job.device_id, state: job.state });
    return false;
  }

  private schedule(deviceId: string, jobId: string): void {
    this.scheduled.add(jobId);
    const prev = this.chains.get(deviceId) ?? Promise.resolve();
    const next = prev
      .then(() => this.run(jobId))
      .catch((err: Error) => {
        if (!(err instanceof DatabaseUnavailableError)) return this.log('dpu.job.crashed', { jobId, error: err.message });
        // Left as the database has it: the poller schedules it again once the database answers.
        this.scheduled.delete(jobId);
        this.log('dpu.job.paused', { jobId, error: err.message });
      });
    this.chains.set(deviceId, next);
  }

  private async run(jobId: string): Promise<void> {
    let job = getJob<RelayContext>(this.p.db, jobId) as Job<RelayContext>;
    const device = getDevice(this.p.db, job.device_id);
    if (device === undefined) {
      this.finish(updateJob(this.p.db, job, { state: 'failed', error: 'device gone' }));
      return;
    }
    const machine = this.machines.get(job.kind) as JobMachine;
    const env: StepEnv = {
      p: this.p,
      relay: this.relay,
      log: this.log,
      seSerial: device.seSerial,
      kvn: device.isdKeyVersion,
      ensureServed: (j) => {
        if (!this.stillServes(j)) throw new LeaseLost(`device '${j.device_id}' moved to another worker`);
      },
      fence: (deviceId) => this.leases?.fence(deviceId),
      session: new KeptSession(),
    };
    try {
      job = await this.runSteps(jobId, job, machine, env);
    } finally {
      env.session.close();
    }
    if (job.state === 'done' || job.state === 'failed') this.finish(job);
  }

  /** Runs the job's steps until it is done or failed, or this process stops running it. */
  private async runSteps(jobId: string, start: Job<RelayContext>, machine: JobMachine, env: StepEnv): Promise<Job<RelayContext>> {
    let job = start;
    // Found mid-opening: this run opens under a reference the MCU has not seen (job-steps.ts freshRelayRef).
    if (job.state === OPENING && this.stillServes(job)) job = freshRelayRef(env, job);
    while (!this.closed && job.state !== 'done' && job.state !== 'failed') {
      if (!this.stillServes(job)) return job;
      try {
        const step = machine.step(job.state);
        if (step === undefined) throw new Error(`${job.kind} job ${job.id} in unknown state '${job.state}'`);
        job = await step(env, job);
      } catch (err) {
        if (err instanceof DatabaseUnavailableError) throw err;
        if (this.closed || !this.stillServes(job)) return job;
        if (err instanceof SessionLost && job.attempts + 1 < this.attemptLimit) {
          job = getJob<RelayContext>(this.p.db, jobId) as Job<RelayContext>;
          this.log('dpu.job.restart', { jobId, reason: err.message });
          job = updateJob(this.p.db, job, {
            state: OPENING,
            attempt: true,
            ackedBlock: -1,
            context: { ...job.context, relayRef: randomInt(1, 0x7fffffff), seed: null },
            detail: { restart: err.message },
          });
          continue;
        }
        const failed = this.fail(jobId, err as Error);
        if (failed === null) return job;
        job = failed;
      }
    }
    return job;
  }

  /** Writes the failure under the lease's fencing token; null when the device moved on meanwhile. */
  private fail(jobId: string, err: Error): Job<RelayContext> | null {
    const latest = getJob<RelayContext>(this.p.db, jobId) as Job<RelayContext>;
    let failed = latest;
    try {
      this.p.db.transactionGrouped(() => {
        this.leases?.fence(latest.device_id);
        failed = updateJob(this.p.db, latest, { state: 'failed', error: err.message });
        audit(this.p.db, 'platform', `${failed.kind}.failed`, failed.device_id, { jobId, error: err.message });
      })();
    } catch (lost) {
      if (this.stillServes(latest)) throw lost;
      return null;
    }
    this.log('dpu.job.failed', { jobId, error: err.message });
    return failed;
  }

  private finish(job: Job<RelayContext>): void {
    const list = this.waiters.get(job.id) ?? [];
    this.waiters.delete(job.id);
    for (const w of list) w(job);
  }
}
