/**
 * A terminal's frame leaves only once the link counter it follows from is on disk (terminal.ts
 * sendFrame, counter-file.ts whenDurable): with the counter file's fdatasync held back, the
 * terminal takes the platform's command, and nothing goes up, its answer (the PoR) among it, until
 * the sync has finished; the download then completes as usual. Checked at several syncs of one
 * download (in-memory link; the MQTT sockets' write coalescing only delays a frame within a turn).
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';
import { flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await world?.close();
  world = null;
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(10);
  expect(check()).toBe(true);
}

describe('terminal frames after its counters are durable', () => {
  it('holds each PoR until the sync of the counter it used has finished', async () => {
    // The counter file's syncs (the only fs.fdatasync calls here) finish only when released.
    let holding = true;
    const held: (() => void)[] = [];
    const fdatasync = fs.fdatasync;
    vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      fdatasync(fd, (err) => (holding ? held.push(() => cb(err)) : cb(err)));
    }) as typeof fs.fdatasync);

    let up = 0;
    let down = 0;
    world = await flowWorld();
    const bundle = await world.provision('term-por');
    const inner = world.network.device('term-por');
    const counting: DeviceLinkTransport = {
      deviceId: inner.deviceId,
      send(frame) {
        up++;
        return inner.send(frame);
      },
      onFrame: (handler) =>
        inner.onFrame((frame) => {
          down++;
          handler(frame);
        }),
      close: () => inner.close(),
    };
    await world.terminal(bundle, counting);
    const job = world.dpu.requestDownload('term-por', 'transit', 'test');

    for (let round = 0; round < 3; round++) {
      // A command came down and the SE took it: its counter is written, the sync held.
      await until(() => held.length > 0);
      const upAtHold = up;
      // The job's first command: no frame has gone up yet, its PoR waits for this sync.
      if (round === 0) expect(upAtHold).toBe(0);
      expect(down).toBeGreaterThan(0);
      // While a counter's sync is held nothing goes up: each frame waits for every counter
      // written before it (whenDurable), the PoR of the command that wrote this one among them.
      await sleep(150);
      expect(up).toBe(upAtHold);
      for (const r of held.splice(0)) r();
      await until(() => up > upAtHold);
    }
    holding = false;
    for (const r of held.splice(0)) r();
    const done = await world.dpu.waitFor(job.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
  });
});
