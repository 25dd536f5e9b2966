/**
 * The install script's sequences in flight at once (se-relay.ts protectedSequences, the MCU's
 * rules in core/mcu/download.ts): PoRs that come out of order, twice, or not at all inside the
 * window, and an SE that fails a LOAD with later sequences in flight. Every case ends as it does
 * with one sequence at a time: one installed card and each command given to the SE once, or the
 * job failed with the SE's status and nothing after it run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Terminal } from '../../host/terminal/terminal';
import { BEFORE_SCRIPT, upstream } from './_upstream';
import { flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/*
 * The device's frames are PoRs, one frame each: 1-3 the session opening with its two GET STATUS
 * (SELECT with INITIALIZE UPDATE, then EXTERNAL AUTHENTICATE with one GET STATUS and the other
 * beside it), 4-7 the install script's four sequences (all four in flight at once), 8 COMPLETE.
 */
const FIRST_SEQUENCE_POR = 4;
const LAST_SEQUENCE_POR = 7;

interface Downloaded {
  w: FlowWorld;
  t: Terminal;
  job: { state: string; attempts: number; total_blocks: number | null; error: string | null };
}

/** A download to a new terminal whose frames up go through `up` (all of them sent as they come when absent). */
async function download(up?: Parameters<typeof upstream>[1], before: (t: Terminal) => void = () => {}): Promise<Downloaded> {
  world = await flowWorld();
  const w = world;
  const bundle = await w.provision('term-1');
  const t = await w.terminal(bundle, up === undefined ? undefined : upstream(w.network.device('term-1'), up));
  before(t);
  const job = await w.dpu.waitFor(w.dpu.requestDownload('term-1', 'transit', 'test').id);
  return { w, t, job };
}

/** Done in its first session, one installed card, every command given to the SE once. */
function installedOnce({ t, job }: Downloaded): void {
  expect(job.state).toBe('done');
  expect(job.attempts).toBe(0);
  expect(t.cards()).toHaveLength(1);
  expect(t.relay.relayed).toBe((job.total_blocks as number) + BEFORE_SCRIPT);
}

function resent(w: FlowWorld): boolean {
  return w.lines.some((l) => l.includes('dpu.job.resend'));
}

describe('sequences in flight', () => {
  it('PoRs out of order and twice: the job goes on, each command reaches the SE once', async () => {
    let held: Uint8Array | null = null;
    const d = await download(async (n, frame, send) => {
      if (n === FIRST_SEQUENCE_POR) {
        held = frame;
        return;
      }
      await send(frame);
      if (n === FIRST_SEQUENCE_POR + 1 && held !== null) {
        // The first sequence's PoR after the second's, then once more.
        await send(held);
        await send(held.slice());
      }
      if (n === LAST_SEQUENCE_POR) await send(frame.slice());
    });
    installedOnce(d);
    expect(resent(d.w)).toBe(false);
  });

  it('a PoR lost inside the window: a later sequence\'s answer vouches for it, nothing is sent again', async () => {
    const d = await download(async (n, frame, send) => {
      if (n !== FIRST_SEQUENCE_POR + 1) await send(frame);
    });
    installedOnce(d);
    expect(d.t.relay.repeated).toBe(0);
    expect(resent(d.w)).toBe(false);
  });

  it('the PoRs of the first and the last sequence in flight lost: the last is sent again and answered from memory, the first superseded', async () => {
    const d = await download(async (n, frame, send) => {
      if (n !== FIRST_SEQUENCE_POR && n !== LAST_SEQUENCE_POR) await send(frame);
    });
    installedOnce(d);
    expect(d.t.relay.repeated).toBeGreaterThanOrEqual(1);
    expect(resent(d.w)).toBe(true);
  });

  it('an SE that fails a LOAD with later sequences in flight: the job fails with its status, the SE runs nothing after it', async () => {
    let loads = 0;
    let failed = false;
    let afterFailure = 0;
    const { w, job } = await download(undefined, (t) => {
      const transceive = t.se.transceive.bind(t.se);
      // The sixth LOAD (the second sequence's) answers 6A84, not enough memory (GPCS 11.6.3).
      t.se.transceive = (cmd, len, rsp) => {
        if (failed) afterFailure++;
        if (cmd[1] === 0xe8 && ++loads === 6) {
          failed = true;
          rsp[0] = 0x6a;
          rsp[1] = 0x84;
          return 2;
        }
        return transceive(cmd, len, rsp);
      };
    });
    expect(job.state).toBe('failed');
    expect(job.error).toContain('6a84');
    expect(failed).toBe(true);
    expect(afterFailure).toBe(0);
    expect(resent(w)).toBe(false);
  });
});
