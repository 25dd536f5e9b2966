/**
 * The session opening in two round trips (se-relay.ts open, download-job.ts openAndTarget):
 * SELECT ISD and INITIALIZE UPDATE in one sequence, then EXTERNAL AUTHENTICATE with the first GET
 * STATUS in one and the second GET STATUS in flight beside it. PoRs lost, twice, out of order, or a
 * platform restart mid-opening: every case ends with one installed card and the platform's rows
 * matching it, the issuer asked once, and the SE given nothing it would refuse (a resumed opening
 * runs under a fresh relay reference, job-steps.ts freshRelayRef).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Terminal } from '../../host/terminal/terminal';
import type { DownloadContext } from '../../platform-server/src/flows/download-job';
import { getJob, listJobs, type Job } from '../../platform-server/src/flows/jobs';
import { BEFORE_SCRIPT, upstream } from './_upstream';
import { flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/**
 * The device's frames up are PoRs, one frame each: 1 SELECT with INITIALIZE UPDATE, 2 EXTERNAL
 * AUTHENTICATE with GET STATUS (applications), 3 GET STATUS (load files), sent with 2; then the
 * install script's sequences and COMPLETE.
 */
const OPENING_POR = 1;
const AUTH_POR = 2;
const FILES_POR = 3;
const FIRST_SCRIPT_POR = 4;

function issued(w: FlowWorld): number {
  return w.lines.filter((l) => l.includes('"dpu.job.package"')).length;
}

function resent(w: FlowWorld): boolean {
  return w.lines.some((l) => l.includes('dpu.job.resend'));
}

/** One card on the SE; the platform's cards and installations rows name it. */
function rowsMatch(w: FlowWorld, t: Terminal, cardSerial: string): void {
  expect(t.cards()).toHaveLength(1);
  expect(w.platform.db.prepare("SELECT card_serial FROM cards WHERE state = 'installed'").all()).toEqual([{ card_serial: cardSerial }]);
  expect(w.platform.db.prepare('SELECT card_serial FROM installations').all()).toEqual([{ card_serial: cardSerial }]);
}

/** Drops the device's nth frame up the first time it comes, sends every other. */
function losingOnce(nth: number): Parameters<typeof upstream>[1] {
  let dropped = false;
  return async (n, frame, send) => {
    if (n === nth && !dropped) {
      dropped = true;
      return;
    }
    await send(frame);
  };
}

/**
 * Waits for the platform restart `restarted` gives once it began, then for the job: done in its
 * first attempt (no session lost), under another relay reference than firstRef.
 */
async function doneAfterRestart(w: FlowWorld, jobId: string, restarted: () => Promise<void> | null, firstRef: () => number): Promise<Job<DownloadContext>> {
  while (restarted() === null) await new Promise((r) => setTimeout(r, 5));
  await restarted();
  const job = await w.dpu.waitFor<DownloadContext>(jobId);
  expect(job.state).toBe('done');
  expect(job.attempts).toBe(0);
  expect(job.context.relayRef).not.toBe(firstRef());
  expect(w.lines.some((l) => l.includes('dpu.job.restart'))).toBe(false);
  return job;
}

async function download(up: Parameters<typeof upstream>[1]): Promise<{ w: FlowWorld; t: Terminal; jobId: string }> {
  world = await flowWorld();
  const w = world;
  const bundle = await w.provision('term-1');
  const t = await w.terminal(bundle, upstream(w.network.device('term-1'), up));
  const jobId = w.dpu.requestDownload('term-1', 'transit', 'test').id;
  return { w, t, jobId };
}

describe('session opening', () => {
  it('the PoR of SELECT with INITIALIZE UPDATE lost: the same sequence again, answered from the MCU\'s memory; the SE runs each once', async () => {
    const { w, t, jobId } = await download(losingOnce(OPENING_POR));
    const job = await w.dpu.waitFor(jobId);
    expect(job.state).toBe('done');
    expect(job.attempts).toBe(0);
    expect(t.relay.repeated).toBe(1);
    expect(t.relay.relayed).toBe((job.total_blocks as number) + BEFORE_SCRIPT);
    expect(resent(w)).toBe(true);
    rowsMatch(w, t, job.card_serial as string);
  });

  it('the PoR of SELECT with INITIALIZE UPDATE twice: the copy settles nothing, the job goes on', async () => {
    const { w, t, jobId } = await download(async (n, frame, send) => {
      await send(frame);
      if (n === OPENING_POR) await send(frame.slice());
    });
    const job = await w.dpu.waitFor(jobId);
    expect(job.state).toBe('done');
    expect(job.attempts).toBe(0);
    expect(t.relay.relayed).toBe((job.total_blocks as number) + BEFORE_SCRIPT);
    expect(resent(w)).toBe(false);
    rowsMatch(w, t, job.card_serial as string);
  });

  it('the platform restarted after the SE ran SELECT and INITIALIZE UPDATE, before their PoR came: the job opens again under a fresh relay reference, in the same attempt', async () => {
    let restarted: Promise<void> | null = null;
    let stateAtRestart = '';
    let firstRef = -1;
    const { w, t, jobId } = await download(async (n, frame, send) => {
      if (n === OPENING_POR && restarted === null) {
        const job = getJob<DownloadContext>(world!.platform.db, listJobs(world!.platform.db, { active: true })[0].id)!;
        stateAtRestart = job.state;
        firstRef = job.context.relayRef;
        restarted = world!.restartPlatform();
        return;
      }
      await send(frame);
    });
    const job = await doneAfterRestart(w, jobId, () => restarted, () => firstRef);
    expect(stateAtRestart).toBe('opening');
    expect(w.lines.some((l) => l.includes('dpu.job.resume'))).toBe(true);
    // SELECT and INITIALIZE UPDATE twice (the second opening replaces the first session), nothing else.
    expect(t.relay.relayed).toBe((job.total_blocks as number) + BEFORE_SCRIPT + 2);
    rowsMatch(w, t, job.card_serial as string);
  });

  it('the PoRs of the two reads out of order and twice: each answer is taken from its own PoR, nothing is sent again', async () => {
    let held: Uint8Array | null = null;
    const { w, t, jobId } = await download(async (n, frame, send) => {
      if (n === AUTH_POR) {
        held = frame;
        return;
      }
      await send(frame);
      if (n === FILES_POR && held !== null) {
        await send(held);
        await send(held.slice());
        await send(frame.slice());
      }
    });
    const job = await w.dpu.waitFor(jobId);
    expect(job.state).toBe('done');
    expect(job.attempts).toBe(0);
    expect(t.relay.relayed).toBe((job.total_blocks as number) + BEFORE_SCRIPT);
    expect(resent(w)).toBe(false);
    expect(issued(w)).toBe(1);
    rowsMatch(w, t, job.card_serial as string);
  });

  it('the PoR of the second read lost: sent again and answered from the MCU\'s memory', async () => {
    const { w, t, jobId } = await download(losingOnce(FILES_POR));
    const job = await w.dpu.waitFor(jobId);
    expect(job.state).toBe('done');
    expect(job.attempts).toBe(0);
    expect(t.relay.repeated).toBe(1);
    expect(t.relay.relayed).toBe((job.total_blocks as number) + BEFORE_SCRIPT);
    rowsMatch(w, t, job.card_serial as string);
  });

  it('the PoR of EXTERNAL AUTHENTICATE with the first read lost after the second read ran: superseded, the session opens again, the issuer is not asked again', async () => {
    const { w, t, jobId } = await download(losingOnce(AUTH_POR));
    const job = await w.dpu.waitFor(jobId);
    expect(job.state).toBe('done');
    expect(job.attempts).toBe(1);
    expect(w.lines.some((l) => l.includes('dpu.job.restart'))).toBe(true);
    // The first opening's five commands, once each, then the second's.
    expect(t.relay.relayed).toBe((job.total_blocks as number) + 2 * BEFORE_SCRIPT);
    expect(issued(w)).toBe(1);
    rowsMatch(w, t, job.card_serial as string);
  });

  it('the platform restarted after the SE ran EXTERNAL AUTHENTICATE and both reads, before their PoRs came: the job opens again, in the same attempt, with the package already issued', async () => {
    let restarted: Promise<void> | null = null;
    let firstRef = -1;
    const { w, t, jobId } = await download(async (n, frame, send) => {
      if (n === AUTH_POR && restarted === null) {
        firstRef = getJob<DownloadContext>(world!.platform.db, listJobs(world!.platform.db, { active: true })[0].id)!.context.relayRef;
        restarted = world!.restartPlatform();
        return;
      }
      if (restarted !== null && n === FILES_POR) return; // lost with the platform that sent it
      await send(frame);
    });
    const job = await doneAfterRestart(w, jobId, () => restarted, () => firstRef);
    expect(t.relay.relayed).toBe((job.total_blocks as number) + 2 * BEFORE_SCRIPT);
    expect(issued(w)).toBe(1);
    rowsMatch(w, t, job.card_serial as string);
  });

  it('a power cut took back the move to loading (it waits for no fsync) after the SE ran the first sequence: the job opens again, the SE refuses nothing, the issuer is not asked again', async () => {
    let restarted: Promise<void> | null = null;
    let firstRef = -1;
    const { w, t, jobId } = await download(async (n, frame, send) => {
      if (n === FIRST_SCRIPT_POR && restarted === null) {
        // What the database holds once the unsynced move is lost: the job in 'opening' with the package it was issued.
        const db = world!.platform.db;
        const job = getJob<DownloadContext>(db, jobId)!;
        expect(job.state).toBe('loading');
        firstRef = job.context.relayRef;
        db.prepare("UPDATE jobs SET state = 'opening', acked_block = -1, total_blocks = NULL, context = ? WHERE id = ?").run(
          JSON.stringify({ ...job.context, seed: null, deleteAid: null }),
          jobId,
        );
        restarted = world!.restartPlatform();
        return;
      }
      await send(frame);
    });
    const job = await doneAfterRestart(w, jobId, () => restarted, () => firstRef);
    expect(issued(w)).toBe(1);
    rowsMatch(w, t, job.card_serial as string);
  });
});

/** The PoR of COMPLETE: after the script's four sequences (transit: 16 commands, four a sequence). */
const COMPLETE_POR = FIRST_SCRIPT_POR + 4;

describe('completion without waiting for the disk', () => {
  /**
   * The platform restarted as COMPLETE's PoR was about to go up (the MCU had run it, ending the
   * SE's session), after `cut` rewrote what a power cut leaves of the job's unsynced commits.
   */
  async function cutAtComplete(cut: (job: Job<DownloadContext>) => void): Promise<{ w: FlowWorld; t: Terminal; job: Job<DownloadContext>; firstRef: number }> {
    let restarted: Promise<void> | null = null;
    let firstRef = -1;
    const { w, t, jobId } = await download(async (n, frame, send) => {
      if (n === COMPLETE_POR && restarted === null) {
        const job = getJob<DownloadContext>(world!.platform.db, jobId)!;
        expect(job.state).toBe('completing');
        firstRef = job.context.relayRef;
        cut(job);
        restarted = world!.restartPlatform();
        return;
      }
      await send(frame);
    });
    while (restarted === null) await new Promise((r) => setTimeout(r, 5));
    await restarted;
    const job = await w.dpu.waitFor<DownloadContext>(jobId);
    expect(job.state).toBe('done');
    expect(job.attempts).toBe(0);
    expect(w.lines.some((l) => l.includes('dpu.job.restart'))).toBe(false);
    expect(issued(w)).toBe(1);
    rowsMatch(w, t, job.card_serial as string);
    return { w, t, job, firstRef };
  }

  it('a power cut took back the move to completing and the last progress after COMPLETE ran: resumed in loading, the job finds the SE without a session, asks which card holds the application, finds its own and ends; nothing is installed again', async () => {
    const { t, job, firstRef } = await cutAtComplete((j) => {
      // What the database holds once the unsynced commits after the second sequence's are lost.
      world!.platform.db.prepare("UPDATE jobs SET state = 'loading', acked_block = 7 WHERE id = ?").run(j.id);
    });
    expect(job.context.relayRef).toBe(firstRef);
    // The first resent sequence's first command reached the SE (refused: no session), nothing more.
    expect(t.relay.relayed).toBe((job.total_blocks as number) + BEFORE_SCRIPT + 1);
  });

  it('a power cut took back every move after the package (loading, progress, completing) after COMPLETE ran: the opening asks first which card holds the application, finds its own and ends; the SE is given nothing again', async () => {
    let script = 0;
    const { t, job, firstRef } = await cutAtComplete((j) => {
      script = j.total_blocks as number;
      world!.platform.db.prepare("UPDATE jobs SET state = 'opening', acked_block = -1, total_blocks = NULL, context = ? WHERE id = ?").run(
        JSON.stringify({ ...j.context, seed: null, deleteAid: null }),
        j.id,
      );
    });
    expect(job.context.relayRef).not.toBe(firstRef);
    expect(t.relay.relayed).toBe(script + BEFORE_SCRIPT);
  });
});
