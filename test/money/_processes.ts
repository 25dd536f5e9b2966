/**
 * The platform and the POS as real processes (bin/tapcard.mjs), for the money kill tests: the
 * platform runs on a data directory and can be armed to kill itself at a point through a file
 * (TAPCARD_KILL_AT=file:PATH, contracts/kill-point.ts); a POS tap runs with its kill point
 * in TAPCARD_KILL_AT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { KILL_AT_ENV } from '../../contracts/kill-point';

const ROOT = path.resolve(__dirname, '../..');
const TAPCARD = path.join(ROOT, 'bin/tapcard.mjs');
/** The development storage key file of the data directory, not the environment's. */
const BASE_ENV: NodeJS.ProcessEnv = { ...process.env, TAPCARD_STORAGE_KEY: '' };

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function ended(child: ChildProcess, output: () => string): Promise<Ended> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, output: output() })));
}

export interface PlatformProcess {
  url: string;
  /** Resolves when the process is gone (killed at its kill point, or stopped). */
  exited: Promise<Ended>;
  stop(): Promise<void>;
}

/** `tapcard platform start` on `dataDir`, armed through `killFile`; resolves once its HTTP API is up. */
export async function startPlatformProcess(dataDir: string, killFile: string): Promise<PlatformProcess> {
  const child = spawn(process.execPath, [TAPCARD, 'platform', 'start', '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--json'], {
    cwd: ROOT, env: { ...BASE_ENV, [KILL_AT_ENV]: `file:${killFile}` }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => void (output += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => void (output += s));
  const exited = ended(child, () => output);
  const url = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const line = output.split('\n').find((l) => l.includes('"platform.ready"'));
      if (line !== undefined) resolve((JSON.parse(line) as { http: string }).http);
    };
    child.stdout!.on('data', look);
    void exited.then((e) => reject(new Error(`platform exited before it was ready (${e.code ?? e.signal}): ${e.output}`)));
  });
  return {
    url,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `tapcard pos <args>` in its own process, killed at `killAt` (a pos.* kill point) if it gets there. */
export function posProcess(args: string[], killAt: string): Promise<Ended> {
  const child = spawn(process.execPath, [TAPCARD, 'pos', ...args], {
    cwd: ROOT, env: { ...BASE_ENV, [KILL_AT_ENV]: killAt }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => void (output += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => void (output += s));
  return ended(child, () => output);
}
