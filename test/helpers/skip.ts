/**
 * Suites that need Debian packages (pcscd, mosquitto, lua5.3...) or the real Espruino interpreter
 * skip on a machine without them, and say so plainly. In CI (CI=1 or TAPCARD_REQUIRE_ALL=1) a missing package fails instead: CI skips nothing.
 *
 *   describe.skipIf(requireDebian('pcscd integration', ['pcscd', 'vsmartcard-vpcd'], { root: true }))(...)
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileExists, findExecutable, isRoot } from '../../host/pcsc/probes';
import { ESPRUINO_BUILD_HINT, ESPRUINO_ENV, espruinoBinary } from '../../host/interpreter/espruino-binary';

/** How to tell each package is installed: a file it ships, so this also works off Debian. */
const PROBES = {
  pcscd: () => findExecutable('pcscd') !== null,
  'vsmartcard-vpcd': () => fileExists('/usr/lib/pcsc/drivers/serial/libifdvpcd.so'),
  'pcsc-tools': () => findExecutable('pcsc_scan') !== null && findExecutable('scriptor') !== null,
  opensc: () => findExecutable('opensc-tool') !== null,
  'libpcsclite-dev': () => fileExists('/usr/include/PCSC/winscard.h'),
  mosquitto: () => findExecutable('mosquitto') !== null,
  'lua5.3': () => findExecutable('lua5.3') !== null,
  socat: () => findExecutable('socat') !== null,
  chromium: () => fileExists('/usr/bin/chromium'),
  // Debian keeps initdb and pg_ctl off PATH, in /usr/lib/postgresql/<major>/bin.
  postgresql: () => findExecutable('initdb') !== null || debianInitdb() !== null,
} satisfies Record<string, () => boolean>;

function debianInitdb(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fileExists(root)) return null;
  const found = readdirSync(root).map((v) => path.join(root, v, 'bin', 'initdb')).filter(fileExists);
  return found.length === 0 ? null : found[found.length - 1];
}

export type DebianPackage = keyof typeof PROBES;

export function ciRequiresAll(): boolean {
  const on = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return on(process.env.CI) || on(process.env.TAPCARD_REQUIRE_ALL);
}

/** Prints why a suite skips, or throws when CI requires everything to run. Always returns true. */
function skipOrFail(message: string): true {
  if (ciRequiresAll()) throw new Error(`FAILED: ${message}; CI=1/TAPCARD_REQUIRE_ALL=1 forbids skipping`);
  console.warn(`SKIPPED: ${message}`);
  return true;
}

/**
 * The `describe.skipIf` condition for a suite that needs these packages (and root, if asked).
 * Prints why when it skips; throws when CI requires everything to run.
 */
export function requireDebian(suite: string, pkgs: DebianPackage[], options: { root?: boolean } = {}): boolean {
  const missing = pkgs.filter((p) => !PROBES[p]());
  const reasons: string[] = [];
  if (missing.length > 0) {
    reasons.push(`Debian package(s) ${missing.join(', ')} (install: apt-get install --no-install-recommends ${missing.join(' ')})`);
  }
  if (options.root === true && !isRoot()) reasons.push('root (it starts system daemons)');
  if (reasons.length === 0) return false;
  return skipOrFail(`${suite} needs ${reasons.join(' and ')}`);
}

/**
 * The `describe.skipIf` condition for a suite that runs the real Espruino interpreter (the binary
 * TAPCARD_ESPRUINO names; host/interpreter/espruino-binary.ts).
 */
export function requireEspruino(suite: string): boolean {
  if (espruinoBinary() !== null) return false;
  return skipOrFail(`${suite} needs ${ESPRUINO_ENV} (${ESPRUINO_BUILD_HINT})`);
}
