/**
 * `tapcard se serve` as a child process in pcscd's vpcd slot, for suites that reach the SE through
 * real PC/SC. start() resolves once PC/SC reports the card; stop() ends the process, waits until
 * the reader is empty and releases the slot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { acquirePcscd, type PcscdLease } from './pcsc';
import { waitForCardInReader, waitForEmptyReader } from './pcsc-tools';

export interface ServedSe {
  lease: PcscdLease;
  /** Everything the process printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export async function serveSeInPcscd(stateDir: string): Promise<ServedSe> {
  const lease = await acquirePcscd();
  let out = '';
  let child: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    if (child !== null && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await waitForEmptyReader(lease.pcscd.readerName).catch(() => undefined);
    await lease.release();
  };
  try {
    const vpcd = `${lease.pcscd.cardHost}:${lease.pcscd.cardPort}`;
    child = spawn(process.execPath, ['bin/tapcard.mjs', 'se', 'serve', '--vpcd', vpcd, '--state', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitForCardInReader(lease.pcscd.readerName, 20_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { lease, output: () => out, stop };
}
