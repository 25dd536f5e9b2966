/**
 * Download under faults: the link dropped at several points of a download and the
 * platform restarted mid-download both end with exactly one installed card; replayed, truncated,
 * reordered or tampered segments are refused and change nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';
import { getJob } from '../../platform-server/src/flows/jobs';
import { TAR_MCU_RELAY } from '../../firmware/src/core/mcu/tars';
import type { Terminal } from '../../host/terminal/terminal';
import { FAST, bundleSecrets, flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** A device transport that loses the frames whose numbers (counted both ways from 1) fall in `drop`. */
function lossy(inner: DeviceLinkTransport, drop: (n: number) => boolean): DeviceLinkTransport & { frames: () => number } {
  let n = 0;
  return {
    deviceId: inner.deviceId,
    frames: () => n,
    send: async (frame) => {
      n++;
      if (!drop(n)) await inner.send(frame);
    },
    onFrame: (h) =>
      inner.onFrame((frame) => {
        n++;
        if (!drop(n)) h(frame);
      }),
    close: () => inner.close(),
  };
}

function installedRows(w: FlowWorld, seSerial: string): number {
  return (w.platform.db.prepare("SELECT count(*) AS n FROM cards WHERE se_serial = ? AND state = 'installed'").get(seSerial) as { n: number }).n;
}

/*
 * Frames of the transit download, counted both ways: 1-2 SELECT with INITIALIZE UPDATE and its PoR,
 * 3-6 EXTERNAL AUTHENTICATE with a GET STATUS and the other GET STATUS (both down, then both PoRs),
 * then the install script of 16 commands in four sequences of four (7-14, 15-23, 24-32, 33-39: up to
 * 8 frames down, 1 PoR up), 40-41 COMPLETE.
 */
describe('dropped link', () => {
  for (const window of [
    { from: 1, len: 2, where: 'while opening the session' },
    { from: 3, len: 2, where: 'while authenticating and reading the registry' },
    { from: 16, len: 4, where: 'in the middle of LOAD' },
    { from: 34, len: 6, where: 'near the end of LOAD' },
  ]) {
    it(`frames lost ${window.where}: one installed card, resumed from the last acknowledged block`, async () => {
      world = await flowWorld();
      const bundle = await world.provision('term-1');
      const link = lossy(world.network.device('term-1'), (n) => n >= window.from && n < window.from + window.len);
      const t = await world.terminal(bundle, link);
      const job = await world.dpu.waitFor(world.dpu.requestDownload('term-1', 'transit', 'test').id);
      expect(job.state).toBe('done');
      expect(job.attempts).toBe(0); // resumed within the same session, never restarted from scratch
      expect(t.cards()).toHaveLength(1);
      expect(installedRows(world, bundle.se.serial)).toBe(1);
      expect(world.lines.some((l) => l.includes('dpu.job.resend'))).toBe(true);
    });
  }
});

/** The device's 5th frame: the PoR of the script's second sequence (frame 23 above). */
const POR_OF_SECOND_SEQUENCE = 5;

/**
 * A device transport that calls `at` once when the device is about to send its nth frame (a PoR in
 * the middle of LOAD: the 7th is the second sequence's) and loses that frame: the platform never
 * learns the commands went through.
 * The in-memory link runs on microtasks, so the fault is placed by frame count, not by time.
 */
function faultAt(inner: DeviceLinkTransport, nth: number, at: () => void): DeviceLinkTransport {
  let n = 0;
  return {
    deviceId: inner.deviceId,
    send: async (frame) => {
      n++;
      if (n === nth) {
        at();
        return;
      }
      await inner.send(frame);
    },
    onFrame: (h) => inner.onFrame(h),
    close: () => inner.close(),
  };
}

describe('platform restart', () => {
  it('a platform restarted mid-LOAD resumes the job from its last acknowledged block: one installed card', async () => {
    world = await flowWorld();
    const w = world;
    const bundle = await w.provision('term-1');
    let restarted: Promise<void> | null = null;
    let relayedBefore = 0;
    let resumedAt = -1;
    let jobId = '';
    const t = await w.terminal(
      bundle,
      faultAt(w.network.device('term-1'), POR_OF_SECOND_SEQUENCE, () => {
        relayedBefore = t.relay.relayed;
        resumedAt = (getJob(w.platform.db, jobId) as { acked_block: number }).acked_block;
        restarted = w.restartPlatform();
      }),
    );
    const job = w.dpu.requestDownload('term-1', 'transit', 'test');
    jobId = job.id;
    while (restarted === null) await new Promise((r) => setTimeout(r, 5));
    await restarted;
    expect(resumedAt).toBeGreaterThanOrEqual(1);
    const done = await w.dpu.waitFor(job.id);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(0);
    expect(t.cards()).toHaveLength(1);
    expect(installedRows(w, bundle.se.serial)).toBe(1);
    // Only the rest of the script went to the SE, not the whole of it again.
    expect(t.relay.relayed - relayedBefore).toBeLessThan((done.total_blocks as number) - resumedAt + 3);
    expect(t.relay.repeated).toBeGreaterThanOrEqual(1);
    expect(w.lines.some((l) => l.includes('dpu.job.resume'))).toBe(true);
    for (const s of bundleSecrets(bundle)) expect(w.lines.join('\n')).not.toContain(s);
  });

  /**
   * A platform restarted at the second sequence's PoR after a power cut took its progress commits
   * back (acked_block commits ask for no fsync, jobs.ts recordProgress): the SE has run two
   * sequences, the platform resumes from the first.
   */
  async function powerCut(sequenceWindow: number): Promise<{ done: { state: string; attempts: number }; t: Terminal; w: FlowWorld; seSerial: string }> {
    world = await flowWorld({ dpu: { ...FAST, sequenceWindow } });
    const w = world;
    const bundle = await w.provision('term-1');
    let restarted: Promise<void> | null = null;
    let jobId = '';
    const t = await w.terminal(
      bundle,
      faultAt(w.network.device('term-1'), POR_OF_SECOND_SEQUENCE, () => {
        const job = getJob(w.platform.db, jobId) as { acked_block: number };
        expect(job.acked_block).toBeGreaterThanOrEqual(1);
        w.platform.db.prepare('UPDATE jobs SET acked_block = -1 WHERE id = ?').run(jobId);
        restarted = w.restartPlatform();
      }),
    );
    const job = w.dpu.requestDownload('term-1', 'transit', 'test');
    jobId = job.id;
    while (restarted === null) await new Promise((r) => setTimeout(r, 5));
    await restarted;
    return { done: await w.dpu.waitFor(job.id), t, w, seSerial: bundle.se.serial };
  }

  it('a platform restarted mid-LOAD without its last progress commits (a power cut), one sequence in flight, starts the job over: one installed card', async () => {
    const { done, t, w, seSerial } = await powerCut(1);
    // The resumed first sequence is before the MCU's last (its relay answers it superseded, and no
    // later answer in flight vouches for it): the job opens a new session and loads again.
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(1);
    expect(w.lines.some((l) => l.includes('dpu.job.restart'))).toBe(true);
    expect(t.cards()).toHaveLength(1);
    expect(installedRows(w, seSerial)).toBe(1);
  });

  it('the same power cut with sequences in flight: the MCU answers its last one from memory, which vouches for the ones before; the job goes on', async () => {
    const { done, t, w, seSerial } = await powerCut(4);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(0);
    expect(t.relay.repeated).toBeGreaterThanOrEqual(1);
    expect(t.cards()).toHaveLength(1);
    expect(installedRows(w, seSerial)).toBe(1);
  });

  /** A terminal restarted (its SE's session lost) at the second sequence's PoR. */
  async function terminalReboot(sequenceWindow: number): Promise<{ done: { state: string; attempts: number; total_blocks: number | null }; t: Terminal; w: FlowWorld; seSerial: string }> {
    world = await flowWorld({ dpu: { ...FAST, sequenceWindow } });
    const w = world;
    const bundle = await w.provision('term-1');
    let rebooted: Promise<Terminal> | null = null;
    const first = await w.terminal(
      bundle,
      faultAt(w.network.device('term-1'), POR_OF_SECOND_SEQUENCE, () => {
        rebooted = first.close().then(() => w.terminal(bundle));
      }),
    );
    const job = w.dpu.requestDownload('term-1', 'transit', 'test');
    while (rebooted === null) await new Promise((r) => setTimeout(r, 5));
    const t = await (rebooted as Promise<Terminal>);
    return { done: await w.dpu.waitFor(job.id), t, w, seSerial: bundle.se.serial };
  }

  function askedOwnCard(w: FlowWorld): boolean[] {
    return w.lines.filter((l) => l.includes('"dpu.job.installed.asked"')).map((l) => (JSON.parse(l) as { own: boolean }).own);
  }

  it('a terminal restarted mid-LOAD (SE session lost), one sequence in flight, makes the job start over: still one installed card', async () => {
    const { done, t, w, seSerial } = await terminalReboot(1);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(1);
    // Asked first which card holds the application: none yet (download-job.ts ownCardInstalled).
    expect(askedOwnCard(w)[0]).toBe(false);
    expect(t.cards()).toHaveLength(1);
    expect(installedRows(w, seSerial)).toBe(1);
  });

  it('a terminal restarted after its SE ran the whole script, before the PoRs went up (window of 4): the job finds its card installed and ends without loading it again', async () => {
    const { done, t, w, seSerial } = await terminalReboot(4);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(0);
    expect(w.lines.some((l) => l.includes('dpu.job.restart'))).toBe(false);
    expect(askedOwnCard(w)).toEqual([true]);
    // The rebooted terminal's SE was given at most the first resent command (refused: no session), no second install.
    expect(t.relay.relayed).toBeLessThanOrEqual(1);
    expect(t.cards()).toHaveLength(1);
    expect(installedRows(w, seSerial)).toBe(1);
  });
});

describe('segments', () => {
  /** Sends a relay command from the platform and captures its frames on the way down. */
  async function capture(w: FlowWorld, deviceId: string): Promise<{ frames: Uint8Array[]; deliver: (f: Uint8Array) => void; relayed: () => number }> {
    const frames: Uint8Array[] = [];
    const inner = w.network.device(deviceId);
    let handler: (f: Uint8Array) => void = () => {};
    const tap: DeviceLinkTransport = {
      deviceId,
      send: (f) => inner.send(f),
      onFrame: (h) => {
        handler = h;
        inner.onFrame((f) => {
          frames.push(f.slice());
          h(f);
        });
      },
      close: () => inner.close(),
    };
    const t = await w.terminal(await w.provision(deviceId), tap);
    return { frames, deliver: (f) => handler(f), relayed: () => t.relay.relayed };
  }

  it('a replayed, truncated, reordered or tampered segment is refused and nothing changes', async () => {
    world = await flowWorld();
    const w = world;
    const cap = await capture(w, 'term-1');
    // A relay command of three frames: SELECT ISD wrapped in a relay header, padded so it segments.
    const select = Uint8Array.from([0x00, 0xa4, 0x04, 0x00, 0x08, 0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00, 0x00]);
    const msg = new Uint8Array(9 + select.length);
    msg.set([0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01]);
    msg.set(select, 9);
    const por = await w.link.sendCommand('term-1', TAR_MCU_RELAY, msg);
    expect(por.status).toBe(0);
    expect(cap.relayed()).toBe(1);
    const sent = cap.frames.slice();
    const counter = () => w.platform.db.prepare("SELECT hex(counter) AS c FROM link_counters WHERE device_id = 'term-1'").all();
    const before = JSON.stringify(counter());
    const fileBefore = cap.relayed();

    // Replay: the very same frames again. Reassembly takes them as a new packet; it is a copy of the
    // last command, so the MCU sends its PoR again and nothing else happens.
    for (const f of sent) cap.deliver(f);
    // Truncated: the last octet cut off.
    for (const f of sent) cap.deliver(f.subarray(0, f.length - 1));
    // Tampered: one octet of ciphertext flipped.
    for (const f of sent) {
      const g = f.slice();
      if (g.length > 20) g[g.length - 3] ^= 0x01;
      cap.deliver(g);
    }
    // Reordered: frames delivered last-first (the same packet again: a copy).
    for (const f of [...sent].reverse()) cap.deliver(f);
    await new Promise((r) => setTimeout(r, 50));
    expect(cap.relayed()).toBe(fileBefore);
    expect(JSON.stringify(counter())).toBe(before);
    const refused = w.lines.filter((l) => l.includes('link.command.refused') || l.includes('link.frame.refused'));
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(w.lines.filter((l) => l.includes('"link.copy"'))).toHaveLength(2);
  });
});
