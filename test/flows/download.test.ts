/**
 * Flows 1 and 2 end to end: provision -> permission -> download of a transit
 * package -> installed, its card-manager record present, and the platform records it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildGetStatus } from '../../firmware/src/core/gp/get-status';
import { P1_STATUS_ISD } from '../../firmware/src/core/gp/constants';
import { APP_CLASS_TRANSIT } from '../../firmware/src/core/se/package-header';
import { listAudit } from '../../platform-server/src/db/audit';
import { jobEvents } from '../../platform-server/src/flows/jobs';
import { bundleSecrets, flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

describe('permission flow', () => {
  it('grants the ISD key set to the device, opens SCP03 with the SE, and wipes the keys after', async () => {
    world = await flowWorld();
    const bundle = await world.provision('term-1');
    const t = await world.terminal(bundle);
    let sessionWasOpen = false;
    const answer = await t.withPermission((s) => {
      sessionWasOpen = s.state === 'AUTHENTICATED' && s.securityLevel === 0x33;
      const cmd = new Uint8Array(16);
      const n = buildGetStatus(P1_STATUS_ISD, false, cmd);
      const out = new Uint8Array(300);
      const m = s.send(cmd, n, out);
      return out.slice(0, m);
    });
    expect(sessionWasOpen).toBe(true);
    expect(answer.subarray(answer.length - 2)).toEqual(Uint8Array.from([0x90, 0x00]));
    expect(answer[0]).toBe(0xe3); // the ISD's registry entry, read under R-ENC and decrypted by the MCU
    const actions = listAudit(world.platform.db, 'term-1').map((a) => a.action);
    expect(actions).toContain('permission.granted');
    for (const s of bundleSecrets(bundle)) expect(world.lines.join('\n')).not.toContain(s);
  });

  it('refuses a device asking for another SE', async () => {
    world = await flowWorld();
    const a = await world.provision('term-a');
    await world.provision('term-b');
    const t = await world.terminal(a);
    // The terminal's SE serial is not the one the platform holds for it.
    t.se.serial.fill(0x11);
    await expect(t.withPermission(() => 0)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(listAudit(world.platform.db, 'term-a').map((x) => x.action)).toContain('permission.denied');
  });
});

describe('download flow', () => {
  it('installs a transit card: card-manager record on the SE, cards and installations rows on the platform', async () => {
    world = await flowWorld();
    const bundle = await world.provision('term-1');
    const t = await world.terminal(bundle);
    expect(t.cards()).toEqual([]);
    const job = world.dpu.requestDownload('term-1', 'transit', 'test');
    const done = await world.dpu.waitFor(job.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');

    const cards = t.cards();
    expect(cards).toHaveLength(1);
    expect(cards[0].cardManager?.appClass).toBe(APP_CLASS_TRANSIT);
    expect(cards[0].cardManager?.cardNumber).toMatch(/^31041000/);
    expect(t.relay.relayed).toBeGreaterThan(done.total_blocks as number);

    const db = world.platform.db;
    const card = db.prepare('SELECT * FROM cards WHERE se_serial = ?').get(bundle.se.serial) as { card_serial: string; state: string; slot: number };
    expect(card).toMatchObject({ state: 'installed', slot: cards[0].slot, card_serial: cards[0].cardSerial });
    const inst = db.prepare('SELECT * FROM installations WHERE card_serial = ?').get(card.card_serial) as { application_id: string; card_number: string };
    expect(inst.application_id).toBe('transit');
    expect(inst.card_number).toBe(cards[0].cardManager?.cardNumber);
    expect(done.acked_block).toBe((done.total_blocks as number) - 1);
    expect(jobEvents(db, job.id).map((e) => e.state)).toEqual(['queued', 'opening', 'loading', 'completing', 'done']);
    expect(listAudit(db, 'term-1').map((a) => a.action)).toContain('download.installed');
    for (const s of bundleSecrets(bundle)) expect(world.lines.join('\n')).not.toContain(s);
  });

  it('starts from the terminal: the user picks an application and gets the job id', async () => {
    world = await flowWorld();
    const t = await world.terminal(await world.provision('term-1'));
    const jobId = await t.requestDownload('transit');
    const done = await world.dpu.waitFor(jobId);
    expect(done.state).toBe('done');
    expect(t.cards()).toHaveLength(1);
    await expect(t.requestDownload('no-such-app')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('a second download of the same application replaces the card instead of adding one', async () => {
    world = await flowWorld();
    const t = await world.terminal(await world.provision('term-1'));
    await world.dpu.waitFor(world.dpu.requestDownload('term-1', 'transit', 'test').id);
    const first = t.cards()[0].cardManager?.cardNumber;
    const again = await world.dpu.waitFor(world.dpu.requestDownload('term-1', 'transit', 'test').id);
    expect(again.state).toBe('done');
    const cards = t.cards();
    expect(cards).toHaveLength(1);
    expect(cards[0].cardManager?.cardNumber).not.toBe(first);
  });
});
