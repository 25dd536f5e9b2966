/**
 * Platform workers (`tapcard platform worker`) survive a PostgreSQL restart: the server is shut
 * down while downloads run, stays away longer than a device lease, and comes back. Meanwhile the
 * workers stay up and their HTTP API answers 503; afterwards they connect again by themselves, the
 * interrupted jobs resume from their stored step, and every download is done exactly once with the
 * cards equal to the platform's rows. Uses a private cluster (it stops the server), mosquitto.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Terminal } from '../../host/terminal/terminal';
import { DatabaseUnavailableError } from '../../platform-server/src/db/port';
import { queueDownload } from '../../platform-server/src/flows/download-job';
import { listJobs } from '../../platform-server/src/flows/jobs';
import { Platform, initPlatform } from '../../platform-server/src/platform-home';
import { registerTerminal } from '../../platform-server/src/terminals/credentials';
import { TERMINAL_ID_HEADER } from '../../platform-server/src/terminals/terminal-api';
import { provisionDevice } from '../../platform-server/src/provision';
import { mosquittoMissing, useMosquitto, type MosquittoBroker } from '../helpers/mosquitto';
import { postgresMissing, usePostgres, type PostgresCluster } from '../helpers/postgres';
import { WORKER_ENV, expectCardsMatchRows, expectEachDoneOnce, startWorker, type WorkerProcess } from './_workers';

const TERMINALS = 4;
const LEASE_MS = 1500;
/** Longer than a lease: every device's lease lapses while the database is away. */
const OUTAGE_MS = 4000;
const run = Math.random().toString(36).slice(2, 7);

const skip = postgresMissing('platform workers over a database restart') || mosquittoMissing('platform workers over a database restart');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)('platform workers over a PostgreSQL restart', () => {
  let cluster: PostgresCluster | null = null;
  let broker: MosquittoBroker | null = null;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tapcard-db-restart-'));
  const workers: WorkerProcess[] = [];
  const terminals: Terminal[] = [];
  let platform: Platform | null = null;
  let dbUrl = '';

  beforeAll(async () => {
    cluster = usePostgres({ private: true });
    dbUrl = cluster.freshDatabase();
    broker = await useMosquitto(`probe-r${run}`);
    await initPlatform(dataDir, { env: WORKER_ENV, db: dbUrl });
    platform = Platform.open(dataDir, WORKER_ENV, dbUrl);
    for (const id of [`ra${run}`, `rb${run}`]) {
      workers.push(await startWorker({ dataDir, dbUrl, brokerUrl: broker.url, leaseMs: LEASE_MS, porTimeoutMs: 1500, shareGroup: `restart-${run}` }, id));
    }
  }, 120_000);

  afterAll(async () => {
    for (const t of terminals) await t.close().catch(() => {});
    for (const w of workers) w.child.kill('SIGKILL');
    platform?.close();
    await broker?.stop();
    cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps running through the outage, answers 503 meanwhile, and does every download exactly once', async () => {
    const p = platform as Platform;
    const c = cluster as PostgresCluster;
    const brokerUrl = (broker as MosquittoBroker).url;
    const posKey = registerTerminal(p.db, `pos-${run}`, 'transit-payment');
    const devices: { id: string; terminal: Terminal; seSerial: string; jobs: string[] }[] = [];
    for (let i = 0; i < TERMINALS; i++) {
      const deviceId = `rt${i}-${run}`;
      const { bundle } = await provisionDevice(p, { deviceId, brokerUrl });
      const terminal = await Terminal.start({ bundle, stateDir: path.join(dataDir, deviceId), brokerUrl });
      terminals.push(terminal);
      devices.push({ id: deviceId, terminal, seSerial: bundle.se.serial.toLowerCase(), jobs: [] });
    }
    const exits: string[] = [];
    for (const w of workers) w.child.once('exit', (code, signal) => exits.push(`${code ?? signal}`));
    for (const d of devices) d.jobs.push(queueDownload(p, d.id, 'transit', 'test').id);

    // Wait until a job is mid-way (its session open, not finished), then stop the server. Polled
    // often: on a quiet machine a job takes well under a second, and its session opens in two
    // round trips.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const active = listJobs(p.db, { active: true });
      if (active.some((j) => j.state === 'loading' || j.state === 'completing')) break;
      // Every job ended before one was seen mid-way: say how they ended instead of waiting out the deadline.
      if (active.length === 0) throw new Error(`no job seen mid-way; the jobs ended: ${JSON.stringify(listJobs(p.db).map((j) => [j.state, j.error]))}`);
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(5);
    }
    const interrupted = listJobs(p.db, { active: true }).length;
    c.stopServer();

    // The workers stay up and say why they cannot answer.
    const away = Date.now();
    for (const w of workers) {
      const health = await fetch(`${w.http}/v1/health`);
      expect(health.status).toBe(503);
      const order = await fetch(`${w.http}/v1/terminal/recharge-orders/none`, {
        headers: { authorization: `Bearer ${posKey}`, [TERMINAL_ID_HEADER]: `pos-${run}` },
      });
      expect(order.status).toBe(503);
      expect(order.headers.get('retry-after')).toBe('1');
      expect(((await order.json()) as { code: string }).code).toBe('UNAVAILABLE');
    }
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - away)));
    expect(exits).toEqual([]);
    c.startServer();

    // Every interrupted job finishes; a second download per device runs on the reconnected workers.
    const settled = async (): Promise<void> => {
      for (;;) {
        try {
          if (listJobs(p.db, { active: true }).length === 0) return;
        } catch (err) {
          // This process's own connection comes back by itself too.
          if (!(err instanceof DatabaseUnavailableError)) throw err;
        }
        expect(Date.now()).toBeLessThan(deadline + 120_000);
        await sleep(200);
      }
    };
    await settled();
    for (const d of devices) d.jobs.push(queueDownload(p, d.id, 'transit', 'test').id);
    await settled();

    expect(exits).toEqual([]);
    const paused = workers.flatMap((w) => w.lines.filter((l) => l.includes('"dpu.job.paused"')));
    console.log(`db restart: ${OUTAGE_MS} ms outage, ${interrupted} jobs active at the stop, ${paused.length} paused, ${devices.length * 2} downloads`);
    expect(paused.length).toBeGreaterThan(0);
    expectEachDoneOnce(p, devices.flatMap((d) => d.jobs));
    for (const d of devices) expectCardsMatchRows(p, d.terminal, d.seSerial, d.jobs[d.jobs.length - 1]);
  }, 10 * 60_000);
});
