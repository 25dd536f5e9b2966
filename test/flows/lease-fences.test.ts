/**
 * Delete and status jobs under device leases (several workers, workers/device-leases.ts): a
 * worker whose lease was taken over while a step's command was in flight records nothing of that
 * step's outcome. The job stays in the state the new holder resumes from; the platform's rows are
 * as they were. The download job's fence is exercised by the kill -9 workers suite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../platform-server/src/db/audit';
import { getJob, type Job } from '../../platform-server/src/flows/jobs';
import type { RelayContext } from '../../platform-server/src/flows/se-relay';
import { DeviceLeases } from '../../platform-server/src/workers/device-leases';
import type { Terminal } from '../../host/terminal/terminal';
import { flowWorld, type FlowWorld } from './_world';

const TTL_MS = 60_000;

let world: FlowWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/**
 * Relay seqs (se-relay.ts SEQ_AFTER_OPEN = 3) of the last command before a step writes its
 * outcome: delete-job.ts's card-record read in targeting, status-job.ts's with one application.
 * Confirming's read finds no record, which leaves the relay's seq alone: any seq is taken there.
 */
const DELETE_SEQ_READ_RECORD = 5;
const STATUS_SEQ_LAST_RECORD = 6;
const ANY_SEQ = -1;

async function released(w: FlowWorld, jobId: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (w.lines.some((l) => l.includes('"dpu.job.released"') && l.includes(jobId))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${jobId} was not released`);
}

interface Setup {
  w: FlowWorld;
  t: Terminal;
  /** True once the second worker holds the device. */
  tookOver: () => boolean;
  /** Take the device over as the terminal answers command seq (or any) of job ref while the job is in state. */
  setTrigger(job: Job<RelayContext>, state: string, seq: number): void;
}

/** Worker w1 runs the flows; a transit card is installed through it; worker w2 stands ready. */
async function setup(): Promise<Setup> {
  let w1: DeviceLeases | null = null;
  world = await flowWorld({ leases: (p) => (w1 = new DeviceLeases(p.db, 'w1', TTL_MS)) });
  const w = world;
  const w2 = new DeviceLeases(w.platform.db, 'w2', TTL_MS, () => Date.now() + 2 * TTL_MS);
  let t: Terminal | null = null;
  let ref = -1;
  let state = '';
  let seq = ANY_SEQ;
  let jobId = '';
  let took = false;
  const inner = w.network.device('term-1');
  const bundle = await w.provision('term-1');
  // As the terminal sends its answer to the trigger's relay command, w2 (its clock past w1's
  // lease) takes the device over; the answer then reaches w1, which goes on to write the step.
  t = await w.terminal(bundle, {
    deviceId: inner.deviceId,
    send: async (frame) => {
      const r = t?.relay;
      if (!took && r !== undefined && r.job === ref && (seq === ANY_SEQ || r.seq === seq) && getJob(w.platform.db, jobId)?.state === state) took = w2.claim('term-1');
      await inner.send(frame);
    },
    onFrame: (h) => inner.onFrame(h),
    close: () => inner.close(),
  });
  const done = await w.dpu.waitFor(w.dpu.requestDownload('term-1', 'transit', 'test').id);
  expect(done.state).toBe('done');
  expect(w1).not.toBeNull();
  return {
    w,
    t,
    tookOver: () => took,
    setTrigger(job, inState, atSeq) {
      jobId = job.id;
      ref = job.context.relayRef;
      state = inState;
      seq = atSeq;
    },
  };
}

function cardState(w: FlowWorld): string {
  return (w.platform.db.prepare('SELECT state FROM cards').get() as { state: string }).state;
}

function installations(w: FlowWorld): number {
  return (w.platform.db.prepare('SELECT count(*) AS n FROM installations').get() as { n: number }).n;
}

describe('a worker that lost the device lease mid-step records nothing', () => {
  it('delete, targeting: the card row stays installed, the job stays in targeting', async () => {
    const s = await setup();
    const job = s.w.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test');
    s.setTrigger(job, 'targeting', DELETE_SEQ_READ_RECORD);
    await released(s.w, job.id);
    expect(s.tookOver()).toBe(true);
    expect(getJob<RelayContext>(s.w.platform.db, job.id)?.state).toBe('targeting');
    expect(cardState(s.w)).toBe('installed');
    expect(s.t.cards()).toHaveLength(1); // targeting only reads
  });

  it('delete, confirming: the SE removed the card, yet the card row stays deleting, the installation stays and no removal is audited', async () => {
    const s = await setup();
    const job = s.w.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test');
    s.setTrigger(job, 'confirming', ANY_SEQ);
    await released(s.w, job.id);
    expect(s.tookOver()).toBe(true);
    expect(s.t.cards()).toEqual([]);
    expect(getJob<RelayContext>(s.w.platform.db, job.id)?.state).toBe('confirming');
    expect(cardState(s.w)).toBe('deleting');
    expect(installations(s.w)).toBe(1);
    expect(listAudit(s.w.platform.db, 'term-1').some((a) => a.action === 'delete.removed' || a.action === 'delete.failed')).toBe(false);
  });

  it('status, reading: no report is written and nothing audited', async () => {
    const s = await setup();
    const job = s.w.dpu.requestStatus('term-1', 'test');
    s.setTrigger(job, 'reading', STATUS_SEQ_LAST_RECORD);
    await released(s.w, job.id);
    expect(s.tookOver()).toBe(true);
    const left = getJob<RelayContext & { report: unknown }>(s.w.platform.db, job.id);
    expect(left?.state).toBe('reading');
    expect(left?.context.report).toBeNull();
    expect(listAudit(s.w.platform.db, 'term-1').some((a) => a.action === 'status.reconciled' || a.action === 'status.failed')).toBe(false);
  });
});
