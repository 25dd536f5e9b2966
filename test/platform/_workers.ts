/**
 * Platform workers as separate processes (`tapcard platform worker`) for the suites that kill them
 * or take their database away, and the checks those suites share: every download done exactly
 * once, and each terminal's cards equal to the platform's rows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import type { Terminal } from '../../host/terminal/terminal';
import { listAudit } from '../../platform-server/src/db/audit';
import { getJob, jobEvents } from '../../platform-server/src/flows/jobs';
import type { Platform } from '../../platform-server/src/platform-home';

const CLI = path.resolve(__dirname, '../../bin/tapcard.mjs');
/** Development storage key file in the data directory: no TAPCARD_STORAGE_KEY. */
export const WORKER_ENV: NodeJS.ProcessEnv = { ...process.env, TAPCARD_STORAGE_KEY: '' };

export interface WorkerSetup {
  dataDir: string;
  dbUrl: string;
  brokerUrl: string;
  leaseMs: number;
  porTimeoutMs: number;
  /**
   * The workers' share group: a suite's own, so that suites running at once on one broker
   * (TAPCARD_MOSQUITTO_URL) do not take each other's devices' frames.
   */
  shareGroup: string;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Its HTTP API's URL. */
  http: string;
  /** Its stdout lines (JSON logs) so far. */
  lines: string[];
}

/** Starts worker id; resolves when it says it is ready. */
export function startWorker(s: WorkerSetup, id: string): Promise<WorkerProcess> {
  const args = [CLI, 'platform', 'worker', '--data', s.dataDir, '--db', s.dbUrl, '--broker', s.brokerUrl];
  args.push('--worker-id', id, '--http-port', '0', '--lease-ms', String(s.leaseMs), '--por-timeout-ms', String(s.porTimeoutMs), '--share-group', s.shareGroup, '--json');
  const child = spawn(process.execPath, args, { env: WORKER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const errors: string[] = [];
  const lines: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      if (line.includes('"platform.ready"')) resolve({ child, http: (JSON.parse(line) as { http: string }).http, lines });
    });
    child.once('exit', (code, signal) => reject(new Error(`worker ${id} exited (${code ?? signal}) before it was ready: ${errors.join('').slice(-500)}`)));
  });
}

/** Each job has one 'done' and no 'failed' event, and one 'download.installed' audit row. */
export function expectEachDoneOnce(p: Platform, jobIds: string[]): void {
  for (const jobId of jobIds) {
    const states = jobEvents(p.db, jobId).map((e) => e.state);
    const why = `job ${jobId}: ${states.join(' ')} ${getJob(p.db, jobId)?.error ?? ''}`;
    expect(states.filter((s) => s === 'done'), why).toHaveLength(1);
    expect(states, why).not.toContain('failed');
  }
  const installed = listAudit(p.db).filter((a) => a.action === 'download.installed');
  expect(installed.map((a) => a.detail?.jobId).sort()).toEqual([...jobIds].sort());
}

/** The terminal's card-manager records equal the platform's cards and installations rows, and the card is the one lastJob installed. */
export function expectCardsMatchRows(p: Platform, terminal: Terminal, seSerial: string, lastJob: string | undefined): void {
  const rows = p.db
    .prepare(
      `SELECT c.slot, c.card_serial, i.card_number, i.balance, i.job_id FROM cards c JOIN installations i ON i.card_serial = c.card_serial
       WHERE c.se_serial = ? AND c.state = 'installed' ORDER BY c.slot`,
    )
    .all(seSerial) as { slot: number; card_serial: string; card_number: string; balance: number; job_id: string }[];
  expect(rows.map((r) => ({ slot: r.slot, cardSerial: r.card_serial, cardNumber: r.card_number, balance: r.balance }))).toEqual(
    terminal.cards().map((c) => ({ slot: c.slot, cardSerial: c.cardSerial, cardNumber: c.cardManager?.cardNumber, balance: c.cardManager?.balance })),
  );
  expect(rows.map((r) => r.job_id)).toEqual([lastJob]);
}
