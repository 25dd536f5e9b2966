/**
 * A terminal killed in the middle of a download and started again resumes it: `tapcard terminal`
 * runs in its own process against the platform's embedded broker, is killed (SIGKILL, by its
 * own kill point) when its SE has run a LOAD packet and before the PoR goes out, the platform's relay commands queue in its persistent MQTT session (MQTT 5.0
 * §4.1) while it is away, and the restarted process, on the same state directory, gets them before
 * anything else happens. The job finishes with one installed card on the SE and on the platform.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSeState } from '../../host/terminal/terminal';
import { readCards } from '../../host/terminal/cards';
import { attachFlows } from '../../platform-server/src/flows/flows';
import { createLog } from '../../platform-server/src/log';
import { KILL_AT_ENV } from '../../contracts/kill-point';
import { writeBundle } from '../../contracts/provisioning-bundle';
import { provisionDevice } from '../../platform-server/src/provision';
import { startPlatform } from '../../platform-server/src/server';
import { tempPlatform } from '../platform/_fixtures';
import { FAST } from './_world';
import { TransitIssuer } from '../../parties/transit-issuer';

const cleanup: (() => Promise<void> | void)[] = [];
/**
 * The secure channel and status reads take 3 relayed packets (SELECT with INITIALIZE UPDATE,
 * EXTERNAL AUTHENTICATE with a GET STATUS, the other GET STATUS), then the install script goes 4
 * commands a packet: the 5th is the second sequence, LOAD blocks.
 */
const RELAYS_BEFORE_KILL = 5;
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface TerminalProcess {
  child: ChildProcess;
  /** The JSON log lines printed so far. */
  events(): Record<string, unknown>[];
  exited: Promise<void>;
}

function startTerminal(bundleFile: string, stateDir: string, env: NodeJS.ProcessEnv = process.env): TerminalProcess {
  const child = spawn(process.execPath, ['bin/tapcard.mjs', 'terminal', '--provision', bundleFile, '--state', stateDir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return {
    child,
    exited,
    events: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function until(what: string, cond: () => boolean, output: () => unknown): Promise<void> {
  for (let i = 0; i < 1200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(output()).slice(-2000)}`);
}

describe('terminal killed mid-download', () => {
  it('SIGKILL in the middle of LOAD, then started again on the same state: the job resumes to one installed card', async () => {
    const tp = await tempPlatform();
    const lines: string[] = [];
    const log = createLog((l) => lines.push(l), 'json');
    const running = await startPlatform(tp.platform, { mqttPort: 0, httpPort: 0, log });
    const dpu = attachFlows(tp.platform, running.link, log, { issuers: [new TransitIssuer()], ...FAST, porTimeoutMs: 1500 });
    const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-restart-'));
    cleanup.push(async () => {
      dpu.close();
      await running.close();
      tp.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });
    const { bundle } = await provisionDevice(tp.platform, { deviceId: 'restart-1', brokerUrl: running.mqtt.url });
    const bundleFile = path.join(dir, 'bundle.json');
    writeBundle(bundleFile, bundle);
    const state = path.join(dir, 'state');

    // The terminal kills itself when its SE has run the relayed command packet RELAYS_BEFORE_KILL, a
    // LOAD sequence, before its PoR goes out: a download takes milliseconds, too fast to kill from here.
    const first = startTerminal(bundleFile, state, { ...process.env, [KILL_AT_ENV]: `terminal.after-relay#${RELAYS_BEFORE_KILL}` });
    await until('the terminal to connect', () => first.events().some((e) => e.event === 'terminal.ready'), first.events);
    const job = dpu.requestDownload('restart-1', 'transit', 'test');
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    // The last packet the SE ran was in the middle of the install script.
    const last = first.events().filter((e) => e.event === 'terminal.download.progress').pop() as { seq: number; total: number };
    expect(last.seq).toBeGreaterThan(4);
    expect(last.seq).toBeLessThan(last.total - 4);
    // While it is away the platform sends the next command again (no PoR): it queues in the session.
    await until('the platform to resend', () => lines.some((l) => l.includes('dpu.job.resend')), () => lines.slice(-20));

    const second = startTerminal(bundleFile, state);
    const done = await dpu.waitFor(job.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
    // The SE's SCP03 session and the LOAD under way ended with its power (GP Card Specification
    // v2.3.1: a Secure Channel Session ends at a card reset), so the job opened one new session.
    expect(done.attempts).toBe(1);
    await until('the job to be installed on the terminal', () => second.events().some((e) => e.event === 'terminal.download.installed'), second.events);
    second.child.kill('SIGTERM');
    await second.exited;

    const cards = readCards(openSeState(state));
    expect(cards).toHaveLength(1);
    expect(cards[0].cardManager).not.toBeNull();
    const rows = tp.platform.db.prepare("SELECT count(*) AS n FROM cards WHERE se_serial = ? AND state = 'installed'").get(bundle.se.serial) as { n: number };
    expect(rows.n).toBe(1);
    // Nothing the restarted terminal got was refused for want of a route or a session.
    const refused = second.events().filter((e) => String(e.event).endsWith('.refused'));
    expect(refused.filter((e) => String(e.status ?? '').includes('TAR unknown'))).toEqual([]);
  }, 120_000);
});
