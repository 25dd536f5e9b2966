/**
 * A job kind as a table of named steps: the job's state (persisted in jobs.state) names the step
 * that runs next, and each step does its part and returns the job in its next state, written to
 * the database before it returns. So a job resumed after a restart, or taken over by another
 * worker, runs the step its state names, and nothing else. 'done' and 'failed' have no step.
 *
 * Every SE job starts the same way (queued -> opening: the SCP03 session through the relay, its
 * seed persisted) and goes back to 'opening' when the SE lost the session (job-scheduler.ts).
 */
import { randomInt } from 'node:crypto';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { SeChannel, type SessionSeed } from './data-security-unit';
import { updateJob, type Job, type JobKind } from './jobs';
import type { RelayContext, SeRelay } from './se-relay';

/** The state every SE job opens its session in, first and after the SE lost it. */
export const OPENING = 'opening';

/** What a step gets from the scheduler. */
export interface StepEnv {
  p: Platform;
  relay: SeRelay;
  log: Log;
  /** The device's SE and its ISD key version. */
  seSerial: string;
  kvn: number;
  /** Throws LeaseLost once the device moved to another worker; a long step calls it between commands. */
  ensureServed(job: Job<RelayContext>): void;
  /** Called inside the transaction that writes a job's outcome: throws LeaseLost when the device moved on. */
  fence(deviceId: string): void;
  /** The job's SCP03 session from one step to the next while this process runs the job. */
  session: KeptSession;
}

/**
 * The job's SCP03 session, kept from the step that opened it to the steps after it while this
 * process runs the job, so a step does not derive it again from its seed (KMC unsealed, the ISD
 * keys diversified, the session keys derived, the accepted commands wrapped again). A step takes it
 * only when it is the session of the job's seed with exactly as many commands wrapped as the job's
 * state says the SE accepted; otherwise (a job resumed after a restart or taken over from another
 * worker, a step that failed midway) the step derives it from the seed as before. The scheduler
 * closes it (keys wiped) when it stops running the job. A download's load file rides along the same
 * way (keepLoadFile), from the opening to the loading step, so the loading does not read and unseal
 * its key-store row again.
 */
export class KeptSession {
  private channel: SeChannel | null = null;
  private seed: SessionSeed | null = null;
  /** A download's load file from the step that had it to the loading step (keepLoadFile). */
  private loadFile: { jobId: string; bytes: Uint8Array } | null = null;

  /** Keeps channel, the session of seed, for the next step (closing any other kept before). */
  keep(seed: SessionSeed, channel: SeChannel): void {
    if (this.channel !== channel) this.close();
    this.seed = seed;
    this.channel = channel;
  }

  /** The kept session if it is seed's with `wrapped` commands wrapped, handed over to the caller; else null (any other is closed). */
  take(seed: SessionSeed, wrapped: number): SeChannel | null {
    const ch = this.channel;
    const kept = this.seed;
    this.channel = null;
    this.seed = null;
    if (ch === null || kept === null) return null;
    if (kept.hostChallenge === seed.hostChallenge && kept.initUpdateResponse === seed.initUpdateResponse && ch.wrapped === wrapped) return ch;
    ch.close();
    return null;
  }

  /**
   * Keeps a copy of job's load file, the one its key-store row holds (download-package.ts), for the
   * loading step that follows in this process, so that step does not read and unseal it again.
   */
  keepLoadFile(jobId: string, bytes: Uint8Array): void {
    this.dropLoadFile();
    this.loadFile = { jobId, bytes: new Uint8Array(bytes) };
  }

  /** The kept load file of jobId, handed over to the caller; else null (any other is wiped). */
  takeLoadFile(jobId: string): Uint8Array | null {
    const kept = this.loadFile;
    this.loadFile = null;
    if (kept === null) return null;
    if (kept.jobId === jobId) return kept.bytes;
    kept.bytes.fill(0);
    return null;
  }

  close(): void {
    this.channel?.close();
    this.channel = null;
    this.seed = null;
    this.dropLoadFile();
  }

  private dropLoadFile(): void {
    this.loadFile?.bytes.fill(0);
    this.loadFile = null;
  }
}

export type Step<C extends RelayContext> = (env: StepEnv, job: Job<C>) => Promise<Job<C>>;

/** A job kind as the scheduler runs it. */
export interface JobMachine {
  readonly kind: JobKind;
  /** The step run from this state, or undefined (done, failed, or a state the kind does not have). */
  step(state: string): Step<RelayContext> | undefined;
}

/** The machine of a job kind whose context is C: the jobs the scheduler hands it are of that kind. */
export function jobMachine<C extends RelayContext>(kind: JobKind, steps: Record<string, Step<C>>): JobMachine {
  const table = new Map(Object.entries(steps));
  return { kind, step: (state) => table.get(state) as Step<RelayContext> | undefined };
}

/** queued -> opening. */
export async function startOpening<C extends RelayContext>(env: StepEnv, job: Job<C>): Promise<Job<C>> {
  return updateJob(env.p.db, job, { state: OPENING });
}

/** opening -> next: SELECT ISD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE through the relay; the seed is persisted, never a key. */
export function openSession<C extends RelayContext>(next: string, total: number): Step<C> {
  return async (env, job) => openAndPersist(env, job, total, next);
}

/**
 * The job with a fresh relay reference, written with it (no seed), for a job found in 'opening'
 * when this process starts running it (resumed after a restart, or taken over from another
 * worker): the opening starts with a seq-0 sequence, which the MCU answers as superseded under a
 * reference it already ran commands of (se-relay.ts open). A job's first reference (queueDownload
 * and the like) and the one a restart gives (job-scheduler.ts) are fresh already. The opening's
 * first frame leaves once this write is on disk, as every frame does (link/frames-after-commit.ts),
 * so after a power cut the job never runs again under a reference the MCU saw.
 */
export function freshRelayRef<C extends RelayContext>(env: StepEnv, job: Job<C>): Job<C> {
  return updateJob(env.p.db, job, { context: { ...job.context, relayRef: randomInt(1, 0x7fffffff), seed: null } });
}

/** Opens the job's session, persists its seed with the job's move to `next`, and keeps the session for the next step. */
export async function openAndPersist<C extends RelayContext>(env: StepEnv, job: Job<C>, total: number, next: string): Promise<Job<C>> {
  const { seed, channel } = await env.relay.open(job, env.seSerial, env.kvn, total);
  let opened: Job<C>;
  try {
    opened = updateJob(env.p.db, job, { state: next, context: { ...job.context, seed } });
  } catch (err) {
    channel.close();
    throw err;
  }
  env.session.keep(seed, channel);
  return opened;
}

/**
 * Runs work in the job's session: the one kept from the step before (KeptSession), or one derived
 * again from the seed with the commands the SE already accepted re-wrapped without sending; either
 * way the next command comes out byte for byte as before. Kept for the next step when work
 * succeeds, closed when it throws.
 */
export async function inSession<C extends RelayContext, T>(env: StepEnv, job: Job<C>, accepted: Uint8Array[], work: (channel: SeChannel) => Promise<T>): Promise<T> {
  const seed = job.context.seed as SessionSeed;
  const channel = env.session.take(seed, accepted.length) ?? SeChannel.restore(env.p, env.seSerial, env.kvn, seed, accepted);
  let result: T;
  try {
    result = await work(channel);
  } catch (err) {
    channel.close();
    throw err;
  }
  env.session.keep(seed, channel);
  return result;
}
