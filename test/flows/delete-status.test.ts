/**
 * Delete and status jobs (docs/flows.md §5, §6): the platform removes an installed card
 * from the SE through the MCU relay and fixes its rows, idempotently and across a dropped link or a
 * platform restart; the status job reads the SE's registry and card-manager records and reports
 * where they and the platform's rows disagree.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildDelete } from '../../firmware/src/core/gp/delete';
import { listAudit } from '../../platform-server/src/db/audit';
import type { DeleteContext } from '../../platform-server/src/flows/delete-job';
import { jobEvents, listJobs } from '../../platform-server/src/flows/jobs';
import type { StatusContext } from '../../platform-server/src/flows/status-job';
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import type { Terminal } from '../../host/terminal/terminal';
import { run as platformCli } from '../../cli/platform';
import { EXIT } from '../../contracts/exit-codes';
import { bundleSecrets, flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await world?.close();
  world = null;
});

/** Relay seq of the DELETE command in a delete job (delete-job.ts). */
const SEQ_DELETE = 6;

interface CardRow {
  state: string;
  card_serial: string;
}

function cardRows(w: FlowWorld, seSerial: string): CardRow[] {
  return w.platform.db.prepare('SELECT state, card_serial FROM cards WHERE se_serial = ?').all(seSerial) as CardRow[];
}

function installations(w: FlowWorld): number {
  return (w.platform.db.prepare('SELECT count(*) AS n FROM installations').get() as { n: number }).n;
}

async function installTransit(
  w: FlowWorld,
  deviceId: string,
  transport?: DeviceLinkTransport,
): Promise<{ t: Terminal; bundle: ProvisioningBundle; seSerial: string; cardSerial: string; instanceAid: string }> {
  const bundle = await w.provision(deviceId);
  const t = await w.terminal(bundle, transport);
  const done = await w.dpu.waitFor(w.dpu.requestDownload(deviceId, 'transit', 'test').id);
  expect(done.state).toBe('done');
  return { t, bundle, seSerial: bundle.se.serial, cardSerial: done.card_serial as string, instanceAid: (done.context.pkg as { instanceAid: string }).instanceAid };
}

/** Deletes AID (with its related objects) through the terminal's own management session: the platform's jobs do not see it. */
async function deleteOutOfBand(t: Terminal, aidHex: string): Promise<number> {
  return t.withPermission((s) => {
    const cmd = new Uint8Array(32);
    const n = buildDelete(Buffer.from(aidHex, 'hex'), true, cmd);
    const out = new Uint8Array(64);
    const m = s.send(cmd, n, out);
    return (out[m - 2] << 8) | out[m - 1];
  });
}

/** A device transport that loses the PoR of the delete job's DELETE the first time, and calls `at` then. */
function losingDeletePor(inner: DeviceLinkTransport, relay: () => Terminal['relay'] | null, relayRef: () => number, at: () => void): DeviceLinkTransport {
  let fired = false;
  return {
    deviceId: inner.deviceId,
    send: async (frame) => {
      const r = relay();
      if (!fired && r !== null && r.job === relayRef() && r.seq === SEQ_DELETE && r.state === 'RELAYING') {
        fired = true;
        at();
        return;
      }
      await inner.send(frame);
    },
    onFrame: (h) => inner.onFrame(h),
    close: () => inner.close(),
  };
}

describe('delete job', () => {
  it('download then delete: the SE holds no card, the card row is empty, the installation gone, the removal audited', async () => {
    world = await flowWorld();
    const { t, bundle, seSerial, cardSerial } = await installTransit(world, 'term-1');
    expect(t.cards()).toHaveLength(1);

    const done = await world.dpu.waitFor<DeleteContext>(world.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test').id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
    expect(done.context.alreadyGone).toBe(false);
    expect(done.card_serial).toBe(cardSerial);
    expect(jobEvents(world.platform.db, done.id).map((e) => e.state)).toEqual(['queued', 'opening', 'targeting', 'deleting', 'confirming', 'done']);

    expect(t.cards()).toEqual([]);
    // The load file went with its instance: the SE's registry holds no application or load file.
    t.se.registry.reload();
    expect(t.se.registry.appUsed.some((u) => u)).toBe(false);
    expect(t.se.registry.elfUsed.some((u) => u)).toBe(false);
    expect(cardRows(world, seSerial)).toEqual([{ state: 'empty', card_serial: cardSerial }]);
    expect(installations(world)).toBe(0);
    const removed = listAudit(world.platform.db, 'term-1').find((a) => a.action === 'delete.removed');
    expect(removed?.detail).toMatchObject({ jobId: done.id, applicationId: 'transit', cardSerial, alreadyGone: false });

    // The card can be downloaded again into the emptied slot.
    expect((await world.dpu.waitFor(world.dpu.requestDownload('term-1', 'transit', 'test').id)).state).toBe('done');
    expect(t.cards()).toHaveLength(1);
    expect(cardRows(world, seSerial).map((r) => r.state)).toEqual(['installed']);
    for (const s of bundleSecrets(bundle)) expect(world.lines.join('\n')).not.toContain(s);
  });

  it('a card the SE no longer holds (deleted out of band): the job is done all the same, the rows fixed, the orphan load file removed; an AID the SE never held: 6A88, done', async () => {
    world = await flowWorld();
    const { t, seSerial, cardSerial, instanceAid } = await installTransit(world, 'term-1');
    expect(await deleteOutOfBand(t, instanceAid)).toBe(0x9000);
    expect(t.cards()).toEqual([]);
    expect(cardRows(world, seSerial)[0].state).toBe('installed'); // the platform does not know yet

    const done = await world.dpu.waitFor<DeleteContext>(world.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test').id);
    expect(done.state).toBe('done');
    expect(done.context.alreadyGone).toBe(true);
    expect(cardRows(world, seSerial)).toEqual([{ state: 'empty', card_serial: cardSerial }]);
    expect(installations(world)).toBe(0);
    expect(listAudit(world.platform.db, 'term-1').find((a) => a.action === 'delete.removed')?.detail).toMatchObject({ alreadyGone: true, cardSerial });
    // The out-of-band DELETE named the instance only; the job took the load file it left behind.
    t.se.registry.reload();
    expect(t.se.registry.elfUsed.some((u) => u)).toBe(false);

    // Now the platform knows nothing is installed: asking again by application is refused, by AID it is done at once.
    expect(() => world?.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test')).toThrow(/not installed/);
    const again = await world.dpu.waitFor<DeleteContext>(world.dpu.requestDelete('term-1', { aid: instanceAid }, 'test').id);
    expect(again.state).toBe('done');
    expect(again.context.alreadyGone).toBe(true);
    expect(() => world?.dpu.requestDelete('term-1', { aid: 'a0 00' }, 'test')).toThrow(/5 to 16 octets/);
  });

  it('the PoR of DELETE lost: the same bytes are sent again and answered from the MCU\'s memory, the SE sees DELETE once', async () => {
    world = await flowWorld();
    const w = world;
    let t: Terminal | null = null;
    let ref = -1;
    const link = losingDeletePor(w.network.device('term-1'), () => t?.relay ?? null, () => ref, () => {});
    const installed = await installTransit(w, 'term-1', link);
    t = installed.t;
    const job = w.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test');
    ref = job.context.relayRef;
    const done = await w.dpu.waitFor<DeleteContext>(job.id);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(0);
    expect(done.context.alreadyGone).toBe(false);
    expect(t.relay.repeated).toBe(1);
    expect(w.lines.some((l) => l.includes('dpu.job.resend'))).toBe(true);
    expect(t.cards()).toEqual([]);
    expect(cardRows(w, installed.seSerial)[0].state).toBe('empty');
  });

  it('the platform restarted after the SE took DELETE but before its PoR came: the job resumes, one removal, rows fixed', async () => {
    world = await flowWorld();
    const w = world;
    let t: Terminal | null = null;
    let ref = -1;
    let restarted: Promise<void> | null = null;
    let stateAtRestart = '';
    const link = losingDeletePor(
      w.network.device('term-1'),
      () => t?.relay ?? null,
      () => ref,
      () => {
        stateAtRestart = listJobs(w.platform.db, { active: true })[0].state;
        restarted = w.restartPlatform();
      },
    );
    const installed = await installTransit(w, 'term-1', link);
    t = installed.t;
    const job = w.dpu.requestDelete('term-1', { applicationId: 'transit' }, 'test');
    ref = job.context.relayRef;
    while (restarted === null) await new Promise((r) => setTimeout(r, 5));
    await restarted;
    expect(stateAtRestart).toBe('deleting');
    expect(t.cards()).toEqual([]); // the SE already took it
    const done = await w.dpu.waitFor<DeleteContext>(job.id);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(0); // resumed in the same session, not started over
    expect(done.context.alreadyGone).toBe(false);
    expect(t.relay.repeated).toBeGreaterThanOrEqual(1);
    expect(w.lines.some((l) => l.includes('dpu.job.resume'))).toBe(true);
    expect(cardRows(w, installed.seSerial)).toEqual([{ state: 'empty', card_serial: installed.cardSerial }]);
    expect(installations(w)).toBe(0);
    expect(listAudit(w.platform.db, 'term-1').filter((a) => a.action === 'delete.removed')).toHaveLength(1);
  });
});

describe('status job', () => {
  it('after a download: the card with its record, the load file, no drift; after an out-of-band DELETE of the instance: missing-on-se and orphan-load-file', async () => {
    world = await flowWorld();
    const { t, seSerial, cardSerial, instanceAid } = await installTransit(world, 'term-1');
    const card = t.cards()[0];

    const first = await world.dpu.waitFor<StatusContext>(world.dpu.requestStatus('term-1', 'test').id);
    expect(first.error).toBeNull();
    const report = first.context.report;
    expect(report?.isd?.aid).toBe('a000000151000000');
    expect(report?.drift).toEqual([]);
    expect(report?.cards).toHaveLength(1);
    expect(report?.cards[0]).toMatchObject({
      slot: card.slot,
      cardSerial,
      instanceAid,
      record: { cardNumber: card.cardManager?.cardNumber.toLowerCase(), appClass: card.cardManager?.appClass, appClassName: 'transit' },
      platform: { state: 'installed', applicationId: 'transit' },
    });
    expect(report?.loadFiles.map((f) => f.aid)).toEqual([report?.cards[0].loadFileAid]);

    expect(await deleteOutOfBand(t, instanceAid)).toBe(0x9000);
    const second = await world.dpu.waitFor<StatusContext>(world.dpu.requestStatus('term-1', 'test').id);
    // The out-of-band DELETE named the instance only: its card is gone, its load file left behind.
    expect(second.context.report?.drift.map((d) => [d.kind, d.cardSerial, d.aid])).toEqual([
      ['missing-on-se', cardSerial, instanceAid],
      ['orphan-load-file', null, report?.cards[0].loadFileAid],
    ]);
    // Status reports; it does not change the rows (the delete job fixes them).
    expect(cardRows(world, seSerial)[0].state).toBe('installed');
    expect(listAudit(world.platform.db, 'term-1').filter((a) => a.action === 'status.reconciled')).toHaveLength(2);
  });

  it('a card the platform has no row for shows as unknown-on-se', async () => {
    world = await flowWorld();
    const { seSerial } = await installTransit(world, 'term-1');
    // The platform loses its rows (e.g. restored from an old backup).
    world.platform.db.prepare('DELETE FROM installations').run();
    world.platform.db.prepare('DELETE FROM cards WHERE se_serial = ?').run(seSerial);
    const job = await world.dpu.waitFor<StatusContext>(world.dpu.requestStatus('term-1', 'test').id);
    expect(job.context.report?.drift.map((d) => d.kind)).toEqual(['unknown-on-se']);
  });
});

describe('tapcard platform delete | status', () => {
  async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      return { code: await platformCli(argv), out: out.join('\n'), err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('status --wait --json shows the reconciled card; delete --wait removes it; both are in jobs; usage and unknown app exit codes', async () => {
    world = await flowWorld();
    const { t, cardSerial } = await installTransit(world, 'term-1');
    const data = world.tp.dir;

    // The world's data processing unit picks the queued jobs up from the database, as `platform start` does.
    const status = await cli(['status', '--data', data, '--device', 'term-1', '--wait', '--json', '--timeout', '30']);
    expect(status.code).toBe(EXIT.OK);
    const shown = JSON.parse(status.out) as { report: { cards: { cardSerial: string }[]; drift: unknown[] } };
    expect(shown.report.cards.map((c) => c.cardSerial)).toEqual([cardSerial]);
    expect(shown.report.drift).toEqual([]);

    const text = await cli(['status', '--data', data, '--device', 'term-1']);
    expect(text.code).toBe(EXIT.OK);
    expect(text.out).toContain(`card ${cardSerial}`);
    expect(text.out).toContain('drift none');

    const del = await cli(['delete', '--data', data, '--device', 'term-1', '--app', 'transit', '--wait', '--timeout', '30']);
    expect(del.code).toBe(EXIT.OK);
    expect(del.out).toContain(`deleted: card ${cardSerial}`);
    expect(t.cards()).toEqual([]);

    const jobs = await cli(['jobs', '--data', data, '--device', 'term-1', '--json']);
    const kinds = (JSON.parse(jobs.out) as { jobs: { kind: string }[] }).jobs.map((j) => j.kind);
    expect(kinds).toEqual(expect.arrayContaining(['download', 'status', 'delete']));

    expect((await cli(['delete', '--data', data, '--device', 'term-1', '--app', 'transit'])).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(['delete', '--data', data, '--device', 'term-1'])).code).toBe(EXIT.USAGE);
    expect((await cli(['delete', '--data', data, '--device', 'term-1', '--app', 'transit', '--aid', 'a000000000'])).code).toBe(EXIT.USAGE);
    expect((await cli(['status', '--data', data, '--device', 'nobody'])).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(['status', '--data', data, '--device', 'term-1', '--bogus'])).code).toBe(EXIT.USAGE);
    expect((await cli(['delete', '--help'])).out).toContain('--aid AID');
  });
});
