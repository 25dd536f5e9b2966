/**
 * Every link message delivered twice, in both directions (MQTT QoS 1 may deliver a PUBLISH again,
 * MQTT 5.0 §4.3.2; anyone on the path can replay one): permission, a download asked for at the
 * terminal, a download, delete and status job all finish as they do on a clean link, and the SE sees
 * each protected command once. The copy comes right behind the first or only after the first has
 * been answered. Replay protection stays: an older packet, or the last one changed, is still
 * refused and changes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildGetStatus } from '../../firmware/src/core/gp/get-status';
import { P1_STATUS_ISD } from '../../firmware/src/core/gp/constants';
import { listJobs } from '../../platform-server/src/flows/jobs';
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';
import { bundleSecrets, flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

type Copy = 'at once' | 'late';

/**
 * An on-path duplicator: every frame the device sends reaches the platform twice, every frame for
 * the device reaches it twice. 'at once' sends the copy right behind the first; 'late' holds it
 * back until the next frame in the same direction has gone through (the first has been answered by
 * then), or until flush(). Frames seen going down are kept for replays.
 */
interface Duplicator extends DeviceLinkTransport {
  down: Uint8Array[];
  deliver(f: Uint8Array): void;
  /** Sends the copies still held back. */
  flush(): Promise<void>;
}

function duplicating(inner: DeviceLinkTransport, copy: Copy): Duplicator {
  let handler: (f: Uint8Array) => void = () => {};
  const down: Uint8Array[] = [];
  let heldUp: Uint8Array[] = [];
  let heldDown: Uint8Array[] = [];
  const sendHeld = async (): Promise<void> => {
    const held = heldUp;
    heldUp = [];
    for (const f of held) await inner.send(f).catch(() => {});
  };
  const deliverHeld = (): void => {
    const held = heldDown;
    heldDown = [];
    for (const f of held) handler(f);
  };
  return {
    deviceId: inner.deviceId,
    down,
    deliver: (f) => handler(f),
    flush: async () => {
      await sendHeld();
      deliverHeld();
      await new Promise((r) => setTimeout(r, 20));
    },
    send: async (frame) => {
      await inner.send(frame);
      if (copy === 'at once') {
        await inner.send(frame.slice());
        return;
      }
      await sendHeld();
      heldUp.push(frame.slice());
    },
    onFrame: (h) => {
      handler = h;
      inner.onFrame((frame) => {
        down.push(frame.slice());
        h(frame);
        if (copy === 'at once') {
          h(frame.slice());
          return;
        }
        deliverHeld();
        heldDown.push(frame.slice());
      });
    },
    close: () => inner.close(),
  };
}

function refusedLines(w: FlowWorld): string[] {
  return w.lines.filter((l) => /link\.(frame|command|por)\.refused|request\.failed/.test(l));
}

describe.each<Copy>(['at once', 'late'])('every message twice, the copy %s', (copy) => {
  it('permission, a download asked for at the terminal, a second download, delete and status all finish; the SE sees each command once', async () => {
    world = await flowWorld();
    const w = world;
    const bundle = await w.provision('term-1');
    const link = duplicating(w.network.device('term-1'), copy);
    const t = await w.terminal(bundle, link);

    const isd = await t.withPermission((s) => {
      const cmd = new Uint8Array(16);
      const n = buildGetStatus(P1_STATUS_ISD, false, cmd);
      const out = new Uint8Array(300);
      const m = s.send(cmd, n, out);
      return out.slice(0, m);
    });
    expect(isd.subarray(isd.length - 2)).toEqual(Uint8Array.from([0x90, 0x00]));

    const first = await w.dpu.waitFor(await t.requestDownload('transit'));
    expect(first.error).toBeNull();
    expect(first.state).toBe('done');
    expect(first.attempts).toBe(0);
    expect(t.cards()).toHaveLength(1);
    // Every relay command reached the SE once; its copy was answered from the MCU's memory.
    expect(t.relay.repeated).toBe(0);

    const again = await w.dpu.waitFor(w.dpu.requestDownload('term-1', 'transit', 'test').id);
    expect(again.state).toBe('done');
    expect(t.cards()).toHaveLength(1);

    const status = await w.dpu.waitFor(w.dpu.requestStatus('term-1', 'test').id);
    expect(status.state).toBe('done');
    const removed = await w.dpu.waitFor(w.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test').id);
    expect(removed.error).toBeNull();
    expect(removed.state).toBe('done');
    expect(t.cards()).toHaveLength(0);

    await link.flush();
    expect(listJobs(w.platform.db).every((j) => j.state === 'done' && j.attempts === 0)).toBe(true);
    expect(w.lines.some((l) => l.includes('dpu.job.resend'))).toBe(false);
    expect(refusedLines(w)).toEqual([]);
    // The copies were recognised as copies on both ends, single-frame packets among them.
    expect(w.lines.filter((l) => l.includes('"link.copy"')).length).toBeGreaterThan(10);
    expect(w.lines.filter((l) => l.includes('link.command.copy')).length).toBeGreaterThanOrEqual(2);
    for (const s of bundleSecrets(bundle)) expect(w.lines.join('\n')).not.toContain(s);
  });
});

describe('replay protection with duplicates recognised', () => {
  it('an older packet, or the last one changed, is refused, reaches no SE and moves no counter', async () => {
    world = await flowWorld();
    const w = world;
    const bundle = await w.provision('term-1');
    const link = duplicating(w.network.device('term-1'), 'at once');
    const t = await w.terminal(bundle, link);
    const done = await w.dpu.waitFor(w.dpu.requestDownload('term-1', 'transit', 'test').id);
    expect(done.state).toBe('done');
    await new Promise((r) => setTimeout(r, 20));

    const counter = (): string => JSON.stringify(w.platform.db.prepare("SELECT direction, hex(counter) AS c FROM link_counters WHERE device_id = 'term-1'").all());
    const before = { relayed: t.relay.relayed, repeated: t.relay.repeated, counter: counter(), refused: t.mcu.link.refused };
    const frames = link.down.slice();
    // The single-frame packets among them (no concatenation header: UDHL 3, IEI 70).
    const singles = frames.filter((f) => f[0] === 0x02);
    expect(singles.length).toBeGreaterThanOrEqual(4);

    // A stale packet: one answered several commands ago.
    link.deliver(singles[1]);
    // The last packet with one octet of its ciphertext changed.
    const last = singles[singles.length - 1].slice();
    last[last.length - 2] ^= 0x01;
    link.deliver(last);
    await new Promise((r) => setTimeout(r, 20));

    expect(t.relay.relayed).toBe(before.relayed);
    expect(t.relay.repeated).toBe(before.repeated);
    expect(counter()).toBe(before.counter);
    expect(t.mcu.link.refused).toBe(before.refused + 2);
    const refused = w.lines.filter((l) => l.includes('link.command.refused'));
    expect(refused.some((l) => l.includes('CNTR low'))).toBe(true);
    expect(refused.some((l) => l.includes('RC/CC/DS failed'))).toBe(true);
  });
});
