/**
 * A job kind as a table of named steps: the job's state (persisted in jobs.state) names the step
 * that runs next, and each step does its part and returns the job in its next state, written to
 * the database before it returns. So a job resumed after a restart, or taken over by another
 * worker, runs the step its state names, and nothing else. 'done' and 'failed' have no step.
 *
 * Every SE job starts the same way (queued -> opening: the SCP03 session through the relay, its
 * seed persisted) and goes back to 'opening' when the SE lost the session (job-scheduler.ts).
 */
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
  return async (env, job) => {
    const seed = await env.relay.open(job, env.seSerial, env.kvn, total);
    return updateJob(env.p.db, job, { state: next, context: { ...job.context, seed } });
  };
}

/**
 * Runs work in the job's session, derived again from its seed with the commands the SE already
 * accepted re-wrapped without sending, so the next command comes out byte for byte as before.
 */
export async function inSession<C extends RelayContext, T>(env: StepEnv, job: Job<C>, accepted: Uint8Array[], work: (channel: SeChannel) => Promise<T>): Promise<T> {
  const channel = SeChannel.restore(env.p, env.seSerial, env.kvn, job.context.seed as SessionSeed, accepted);
  try {
    return await work(channel);
  } finally {
    channel.close();
  }
}
