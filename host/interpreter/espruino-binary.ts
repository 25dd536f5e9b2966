/**
 * Where the real Espruino interpreter is: the environment variable TAPCARD_ESPRUINO names the
 * `espruino` binary that ../shared/vendor/espruino/build.sh OUTDIR builds (OUTDIR/bin/espruino:
 * Espruino 2v29 for Linux with an ESP32's interpreter settings). Its vendored companions (the
 * MQTT module a board keeps in Storage) are read from that folder at run time, never copied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ESPRUINO_ENV = 'TAPCARD_ESPRUINO';
/** What to do when the variable is not set (printed by skipping suites and tools). */
export const ESPRUINO_BUILD_HINT =
  `build it with ../shared/vendor/espruino/build.sh DIR, then set ${ESPRUINO_ENV}=DIR/bin/espruino; the build needs build-essential, python3, git`;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The vendored interpreter sources and modules, beside the repository. */
export const ESPRUINO_VENDOR_DIR = path.resolve(REPO_ROOT, '../shared/vendor/espruino');
/** EspruinoDocs modules/MQTT.js: on a board, the Storage module `MQTT`. */
export const VENDORED_MQTT_MODULE = path.join(ESPRUINO_VENDOR_DIR, 'MQTT.js');

export class EspruinoNotFoundError extends Error {}

/**
 * The interpreter binary, or null when TAPCARD_ESPRUINO is unset. A set variable that does not
 * name an executable file is a mistake, not an absence: it throws.
 */
export function espruinoBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[ESPRUINO_ENV];
  if (value === undefined || value === '') return null;
  const file = path.resolve(value);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new EspruinoNotFoundError(`${ESPRUINO_ENV}=${value} is not an executable file; ${ESPRUINO_BUILD_HINT}`);
  }
  return file;
}

/** The binary, or an error saying how to get one. */
export function requireEspruinoBinary(env: NodeJS.ProcessEnv = process.env): string {
  const file = espruinoBinary(env);
  if (file === null) throw new EspruinoNotFoundError(`${ESPRUINO_ENV} is not set; ${ESPRUINO_BUILD_HINT}`);
  return file;
}
