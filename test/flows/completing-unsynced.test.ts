/**
 * The move to completing asks for no fsync (download-job.ts load, `unsynced`): under group commit,
 * with the platform's frames held until the commits before them are durable
 * (link/frames-after-commit.ts), COMPLETE leaves as soon as the last sequence is answered, without
 * an fsync of the platform's WAL in between. What a power cut may then take back is covered in
 * opening.test.ts ("completion without waiting for the disk").
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const fsyncs = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => {
    fsyncs.count++;
    fs.fsync(fd, cb);
  }) as typeof fs.fsync;
  return { ...fs, default: { ...fs, fsync }, fsync };
});

const { framesAfterCommit } = await import('../../platform-server/src/link/frames-after-commit');
const { getJob, listJobs } = await import('../../platform-server/src/flows/jobs');
const { FAST, flowWorld } = await import('./_world');
const { upstream } = await import('./_upstream');
type FlowWorld = Awaited<ReturnType<typeof flowWorld>>;

let world: FlowWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** The device's PoRs: 1-3 the opening, 4-7 the transit script's four sequences, 8 COMPLETE. */
const LAST_SCRIPT_POR = 7;
const COMPLETE_POR = 8;

describe('the move to completing', () => {
  it('under group commit, COMPLETE reaches the terminal with no fsync of the platform since the last sequence was answered', async () => {
    let w: FlowWorld | null = null;
    world = await flowWorld({
      dpu: { ...FAST, porTimeoutMs: 5_000 },
      // The flows' frames wait for the commits before them, as on a running platform (server.ts).
      platformTransport: (network) => framesAfterCommit(network.platform(), { whenDurable: () => (w as FlowWorld).platform.db.whenDurable() } as never),
    });
    w = world;
    w.platform.db.groupCommits();
    const bundle = await w.provision('term-1');
    let afterLastSequence = -1;
    let atComplete = -1;
    let state = '';
    await w.terminal(
      bundle,
      upstream(w.network.device('term-1'), async (n, frame, send) => {
        if (n === LAST_SCRIPT_POR) {
          await new Promise((r) => setImmediate(r));
          afterLastSequence = fsyncs.count;
        }
        if (n === COMPLETE_POR) {
          atComplete = fsyncs.count;
          const db = (w as FlowWorld).platform.db;
          state = getJob(db, listJobs(db, { active: true })[0].id)?.state ?? '';
        }
        await send(frame);
      }),
    );
    const job = await w.dpu.waitFor(w.dpu.requestDownload('term-1', 'transit', 'test').id);
    expect(job.state).toBe('done');
    expect(state).toBe('completing');
    expect(afterLastSequence).toBeGreaterThan(0);
    expect(atComplete - afterLastSequence).toBe(0);
  });
});
