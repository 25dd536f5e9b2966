/**
 * A terminal with its state in memory (`stateDir: null`, as the platform bench's large fleets run
 * them): it installs a card like a terminal with a state directory, writes no file, and its link
 * counters still refuse a stale packet (TS 102 225 §5.1.1 counter check) without reaching the SE; and one whose SE runs on the host table ciphers (HOST_SE_CIPHERS).
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { P1_STATUS_ISD } from '../../firmware/src/core/gp/constants';
import { buildGetStatus } from '../../firmware/src/core/gp/get-status';
import { toHex } from '../../firmware/src/core/hex';
import { HOST_SE_CIPHERS, Terminal } from '../../host/terminal/terminal';
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';
import { flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
let terminal: Terminal | null = null;
afterEach(async () => {
  await terminal?.close();
  terminal = null;
  await world?.close();
  world = null;
});

/** Keeps every frame sent down to the device, and can hand one to it again. */
function recording(inner: DeviceLinkTransport): DeviceLinkTransport & { down: Uint8Array[]; replay(f: Uint8Array): void } {
  let handler: (f: Uint8Array) => void = () => {};
  const down: Uint8Array[] = [];
  return {
    deviceId: inner.deviceId,
    down,
    replay: (f) => handler(f),
    send: (frame) => inner.send(frame),
    onFrame(h) {
      handler = h;
      inner.onFrame((frame) => {
        down.push(frame.slice());
        h(frame);
      });
    },
    close: () => inner.close(),
  };
}

describe('terminal with its state in memory', () => {
  it('installs a card, writes no file, and refuses a stale packet without reaching the SE', async () => {
    world = await flowWorld();
    const w = world;
    const bundle = await w.provision('term-1');
    const link = recording(w.network.device('term-1'));
    terminal = await Terminal.start({ bundle, stateDir: null, transport: link, log: (event, detail) => w.lines.push(JSON.stringify({ event, ...detail })) });
    const t = terminal;

    const done = await w.dpu.waitFor(await t.requestDownload('transit'));
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
    expect(t.cards()).toHaveLength(1);
    expect(readdirSync(w.stateRoot)).toEqual([]);

    const before = { relayed: t.relay.relayed, refused: t.mcu.link.refused };
    // A single-frame packet (no concatenation header: UDHL 3, IEI 70) answered several commands ago.
    const singles = link.down.filter((f) => f[0] === 0x02);
    expect(singles.length).toBeGreaterThan(2);
    link.replay(singles[1]);
    await new Promise((r) => setTimeout(r, 20));
    expect(t.relay.relayed).toBe(before.relayed);
    expect(t.mcu.link.refused).toBe(before.refused + 1);
    expect(w.lines.filter((l) => l.includes('link.command.refused')).some((l) => l.includes('CNTR low'))).toBe(true);
  });

  it('runs its SE on the host table ciphers (HOST_SE_CIPHERS, the platform bench fleet\'s): a permission session and an SL 33 download', async () => {
    world = await flowWorld();
    const bundle = await world.provision('term-2');
    terminal = await Terminal.start({ bundle, stateDir: null, transport: world.network.device('term-2'), seCiphers: HOST_SE_CIPHERS });
    const t = terminal;
    // GET STATUS of the ISD in the SCP03 session the MCU opened with the grant (SE side: NobleAes).
    const sw = await t.withPermission((session) => {
      const cmd = new Uint8Array(16);
      const out = new Uint8Array(300);
      const n = session.send(cmd, buildGetStatus(P1_STATUS_ISD, false, cmd), out);
      return toHex(out.subarray(n - 2, n));
    });
    expect(sw).toBe('9000');
    const done = await world.dpu.waitFor(await t.requestDownload('transit'));
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
    expect(t.cards()).toHaveLength(1);
  });
});
