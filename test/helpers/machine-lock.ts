/**
 * A cross-process lock for machine-wide resources (one pcscd per machine, one card per vpcd slot,
 * docs/vpcd-pcscd.md "Limits"): vitest runs test files in parallel processes, and two of them must not share a slot.
 * mkdir is atomic; the owner's pid inside lets a crashed owner's lock be reclaimed.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RETRY_MS = 100;
/** A lock directory without an owner file for this long was left by a process that died mid-acquire. */
const ORPHAN_AFTER_MS = 10_000;

export type MachineLock = { release(): void };

export async function acquireMachineLock(name: string, timeoutMs: number): Promise<MachineLock> {
  const dir = path.join(os.tmpdir(), `tapcard-${name}.lock`);
  const owner = path.join(dir, 'owner');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, String(process.pid));
      return { release: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isAbandoned(dir, owner)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`machine lock '${name}' (${dir}) still held after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function isAbandoned(dir: string, owner: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(owner, 'utf8'), 10);
  } catch {
    try {
      return Date.now() - statSync(dir).mtimeMs > ORPHAN_AFTER_MS;
    } catch {
      return false; // released meanwhile; the next mkdir decides
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
