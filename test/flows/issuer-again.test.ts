/**
 * The issued package is one of the turn's commits (download-package.ts), so a kill -9 before the
 * end of the turn or a power cut before the fsync loses it, and the job, resumed in 'opening'
 * with no package (the opening asks for it while the session opens: download-job.ts), asks the issuer again under the same job id (the issuer interface's idempotency
 * key, contracts/issuer.ts). Here the platform restarts once the issuer has answered and before the
 * platform kept the answer: the job asks again, the transit server hands out the same card's
 * package, and the SE ends with one installed card, the one the issuer issued once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PARTIES_SCHEMA } from '../../cli/simulated-parties';
import type { IssuedPackage, IssuerAdapter, PackageRequest } from '../../contracts/issuer';
import { createParties } from '../../parties/parties';
import { PARTIES_MIGRATIONS } from '../../parties/migrations';
import { openDatabase } from '../../platform-server/src/db/database';
import type { PlatformDb } from '../../platform-server/src/db/port';
import { getJob, type Job } from '../../platform-server/src/flows/jobs';
import { flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
let partiesDb: PlatformDb | null = null;
let partiesDir = '';
afterEach(async () => {
  await world?.close();
  world = null;
  partiesDb?.close();
  partiesDb = null;
  if (partiesDir !== '') rmSync(partiesDir, { recursive: true, force: true });
});

describe('a platform that lost the issuer\'s answer', () => {
  it('asks again for the same job and installs the card the issuer issued once', async () => {
    partiesDir = mkdtempSync(path.join(tmpdir(), 'tapcard-parties-'));
    partiesDb = openDatabase(path.join(partiesDir, 'parties.db'), { migrations: PARTIES_MIGRATIONS, schema: PARTIES_SCHEMA });
    const transit = createParties(partiesDb).transit;
    const asked: PackageRequest[] = [];
    let restarted: Promise<void> | null = null;
    let lost = undefined as Job<{ pkg: unknown }> | undefined;
    // The first answer is lost: the platform restarts once the issuer has acted, before it kept the package.
    const issuer: IssuerAdapter = {
      issuer: 'transit',
      applications: () => transit.applications(),
      issuePackage: async (req): Promise<IssuedPackage> => {
        asked.push(req);
        const pkg = await transit.issuePackage(req);
        if (asked.length > 1) return pkg;
        // What the restarted platform finds (it asks again at once, while its session opens).
        lost = getJob<{ pkg: unknown }>((world as FlowWorld).platform.db, req.jobId);
        restarted = (world as FlowWorld).restartPlatform();
        return new Promise<IssuedPackage>(() => {});
      },
    };
    world = await flowWorld({ dpu: { issuers: [issuer] } });
    const w = world;
    const bundle = await w.provision('term-1');
    const t = await w.terminal(bundle);
    const job = w.dpu.requestDownload('term-1', 'transit', 'test');
    while (restarted === null) await new Promise((r) => setTimeout(r, 5));
    await restarted;
    expect(lost?.state).toBe('opening');
    expect(lost?.context.pkg).toBeNull();

    const done = await w.dpu.waitFor(job.id);
    expect(done.state).toBe('done');
    expect(asked.map((r) => r.jobId)).toEqual([job.id, job.id]);
    const issued = (partiesDb.prepare("SELECT card_number FROM issued_cards WHERE issuer = 'transit'").all() as { card_number: string }[]).map((r) => r.card_number);
    expect(issued).toHaveLength(1);
    const installed = w.platform.db.prepare('SELECT card_number FROM installations WHERE job_id = ?').all(job.id) as { card_number: string }[];
    expect(installed.map((r) => r.card_number.toLowerCase())).toEqual(issued.map((n) => n.toLowerCase()));
    expect(t.cards()).toHaveLength(1);
  });
});
