/**
 * Builds flash-map.c (the LD_PRELOAD library that serves the interpreter's espruino.flash from a
 * memory mapping, as an ESP32 maps its Storage partition) once per source version, into the
 * temporary directory, with the C compiler the interpreter's own build needs.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'flash-map.c');

export class FlashMapBuildError extends Error {}

/** Path of the compiled library (built on first use). */
export function flashMapLibrary(): string {
  const source = fs.readFileSync(SOURCE);
  const hash = crypto.createHash('sha256').update(source).digest('hex').slice(0, 12);
  const lib = path.join(os.tmpdir(), `tapcard-flash-map-${hash}.so`);
  if (fs.existsSync(lib)) return lib;
  const partial = `${lib}.${process.pid}`;
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', partial, SOURCE, '-ldl'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new FlashMapBuildError(`compiling ${SOURCE} failed (needs cc, from build-essential): ${(err as Error).message}`);
  }
  fs.renameSync(partial, lib); // atomic: parallel test files may build it at once
  return lib;
}
