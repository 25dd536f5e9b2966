/**
 * A private pcscd with only the vsmartcard-vpcd reader, for tests and local runs (docs/vpcd-pcscd.md "pcscd").
 * One pcscd per machine (its IPC socket path is fixed, docs/vpcd-pcscd.md "Limits"), so a running one that already
 * serves vpcd (for instance started by .ci/run) is reused rather than replaced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileExists, findExecutable, isRoot, processRunning, tcpPortListening, unixSocketAlive } from './probes';
import { addQuickackRoute, hasQuickackRoute, removeQuickackRoute, vpcdCardHost } from './quickack-route';

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
export const PCSCD_PIDFILE = '/run/pcscd/pcscd.pid';
export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
/** vpcd slot 0 ("Virtual PCD 00 00") listens on 0x8C7B; slot 1 on the next port (docs/vpcd-pcscd.md "pcscd"). */
export const VPCD_PORT = 35963;
export const VPCD_READER_NAME = 'Virtual PCD 00 00';
/** reader.conf.d holding only the vpcd entry; shared with scripts/pcscd/start.sh. */
export const PRIVATE_CONF_DIR = fileURLToPath(new URL('../../scripts/pcscd/reader.conf.d', import.meta.url));

/** docs/vpcd-pcscd.md "pcscd" measured 0.1–0.3 s; leave room for a loaded CI machine. */
const READY_TIMEOUT_MS = 10_000;
const POLL_MS = 50;
const STOP_TIMEOUT_MS = 5_000;

/** The tools the PC/SC integration checks drive, with the Debian package that ships each. */
const REQUIREMENTS: Array<{ what: string; pkg: string; present: () => boolean }> = [
  { what: 'pcscd', pkg: 'pcscd', present: () => findExecutable('pcscd') !== null },
  { what: `vpcd driver ${VPCD_DRIVER}`, pkg: 'vsmartcard-vpcd', present: () => fileExists(VPCD_DRIVER) },
  { what: 'pcsc_scan', pkg: 'pcsc-tools', present: () => findExecutable('pcsc_scan') !== null },
  { what: 'scriptor', pkg: 'pcsc-tools', present: () => findExecutable('scriptor') !== null },
  { what: 'opensc-tool', pkg: 'opensc', present: () => findExecutable('opensc-tool') !== null },
];

/** Whether this machine can run the PC/SC path, and if not, why (missing packages, not root). */
export function pcscAvailable(): { ok: boolean; why: string } {
  const missing = REQUIREMENTS.filter((r) => !r.present());
  const problems: string[] = [];
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((r) => r.pkg))];
    problems.push(`missing ${missing.map((r) => r.what).join(', ')} (apt-get install ${pkgs.join(' ')})`);
  }
  // pcscd creates /run/pcscd itself; only root may (docs/vpcd-pcscd.md "pcscd"). A running pcscd needs no privileges.
  if (!isRoot() && !fileExists(PCSCD_SOCKET)) problems.push('not root, so cannot start pcscd (and no pcscd is running)');
  return problems.length === 0 ? { ok: true, why: 'pcscd, vpcd and the PC/SC tools are available' } : { ok: false, why: problems.join('; ') };
}

export interface Pcscd {
  /** True when this handle started pcscd (stop() ends it); false when an existing one is reused. */
  readonly owned: boolean;
  /** Where a card connects to reach slot 0: 127.0.0.2 with the quickack route, else 127.0.0.1. */
  readonly cardHost: string;
  readonly cardPort: number;
  readonly readerName: string;
  /** pcscd's output so far (only for an owned pcscd), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Reuses a running pcscd that serves vpcd, or starts a private one and waits until it is ready. */
export async function startPcscd(): Promise<Pcscd> {
  const addedRoute = !hasQuickackRoute() && addQuickackRoute();
  const dropRoute = (): void => {
    if (addedRoute) removeQuickackRoute();
  };
  try {
    const running = await runningPcscd();
    if (running !== null) {
      if (!tcpPortListening(VPCD_PORT)) {
        throw new Error(`pcscd is already running (${running}) but nothing listens on the vpcd port ${VPCD_PORT}: ` +
          `stop it, or give it the vpcd reader (pcscd -c ${PRIVATE_CONF_DIR})`);
      }
      return handle(false, () => '', async () => dropRoute());
    }
    return await spawnPcscd(dropRoute);
  } catch (err) {
    dropRoute();
    throw err;
  }
}

/** A description of the pcscd serving the IPC socket, or null; removes a stale socket left by a killed pcscd. */
async function runningPcscd(): Promise<string | null> {
  if (!fileExists(PCSCD_SOCKET)) return null;
  if (await unixSocketAlive(PCSCD_SOCKET)) return `pid ${readPid() ?? 'unknown'}, socket ${PCSCD_SOCKET}`;
  // docs/vpcd-pcscd.md "pcscd": after a SIGKILL the stale socket blocks the next start.
  rmSync(PCSCD_SOCKET, { force: true });
  return null;
}

function readPid(): number | null {
  try {
    const pid = Number.parseInt(readFileSync(PCSCD_PIDFILE, 'utf8'), 10);
    return Number.isInteger(pid) && processRunning(pid, 'pcscd') ? pid : null;
  } catch {
    return null;
  }
}

async function spawnPcscd(dropRoute: () => void): Promise<Pcscd> {
  const bin = findExecutable('pcscd');
  if (bin === null) throw new Error('pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)');
  // --foreground keeps it our child; no --auto-exit, which would quit without PC/SC clients (docs/vpcd-pcscd.md "pcscd").
  const child = spawn(bin, ['--foreground', '--error', '-c', PRIVATE_CONF_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      output += `spawn failed: ${err.message}\n`;
      resolve();
    });
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(fileExists(PCSCD_SOCKET) && tcpPortListening(VPCD_PORT))) {
    if (!isAlive(child) || Date.now() > deadline) {
      const why = isAlive(child) ? `not ready within ${READY_TIMEOUT_MS} ms` : 'it exited';
      await terminate(child, exited);
      throw new Error(`pcscd did not become ready (socket ${PCSCD_SOCKET} + port ${VPCD_PORT}): ${why}\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return handle(true, () => output, async () => {
    await terminate(child, exited);
    dropRoute();
  });
}

/** SIGTERM (pcscd then removes its socket), SIGKILL if it hangs, and never leave a stale socket. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (isAlive(child)) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  if (fileExists(PCSCD_SOCKET) && !(await unixSocketAlive(PCSCD_SOCKET))) rmSync(PCSCD_SOCKET, { force: true });
}

function isAlive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function handle(owned: boolean, log: () => string, stop: () => Promise<void>): Pcscd {
  let stopped: Promise<void> | null = null;
  return {
    owned,
    cardHost: vpcdCardHost(),
    cardPort: VPCD_PORT,
    readerName: VPCD_READER_NAME,
    log,
    stop: () => (stopped ??= stop()),
  };
}
