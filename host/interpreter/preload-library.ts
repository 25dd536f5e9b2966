/**
 * Builds the LD_PRELOAD libraries for the Linux interpreter from their C sources beside this file
 * (flash-map.c: Storage served from a memory mapping, as an ESP32 maps its Storage partition;
 * console-guard.c: console input without the Linux build's data race; cpu-clock.c: getTime() as
 * the thread's CPU time, for the bench's timings on a shared machine), once per source version,
 * into the temporary directory, with the C compiler the interpreter's own build needs.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type PreloadSource = 'flash-map.c' | 'console-guard.c' | 'cpu-clock.c';

export class PreloadBuildError extends Error {}

/** Path of the compiled library (built on first use). */
export function preloadLibrary(source: PreloadSource): string {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), source);
  const text = fs.readFileSync(file);
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 12);
  const lib = path.join(os.tmpdir(), `tapcard-${path.basename(source, '.c')}-${hash}.so`);
  if (fs.existsSync(lib)) return lib;
  const partial = `${lib}.${process.pid}`;
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-pthread', '-o', partial, file, '-ldl'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new PreloadBuildError(`compiling ${file} failed (needs cc, from build-essential): ${(err as Error).message}`);
  }
  fs.renameSync(partial, lib); // atomic: parallel test files may build it at once
  return lib;
}

/** `env` with `library` added to its LD_PRELOAD list. */
export function withPreload(env: NodeJS.ProcessEnv, library: string): NodeJS.ProcessEnv {
  const others = env.LD_PRELOAD ?? '';
  return { ...env, LD_PRELOAD: others === '' ? library : `${library} ${others}` };
}
