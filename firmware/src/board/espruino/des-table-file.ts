/**
 * The DES engines' tables (word-des.ts, 3,840 bytes) in a Storage file, read through Espruino's
 * memory-mapped flash (Storage.readArrayBuffer, src/jswrap_storage.c), so they cost the board
 * about 20 JsVars instead of ~260 in RAM. Each boot computes them and compares them with the
 * file, which it writes again when missing or different (a write cut by power loss is found at the
 * next boot); if the file cannot be written the engines use the computed copy in RAM.
 */
import type { EspruinoStorage } from './espruino-api';
import { buildDesTables, DES_TABLE_WORDS, DesTables } from './word-des';

export const DES_TABLE_FILE = 'tapcard.des';

function sameWords(stored: ArrayBuffer | undefined, built: Int32Array): boolean {
  if (stored === undefined || stored.byteLength !== 4 * DES_TABLE_WORDS) return false;
  const words = new Int32Array(stored);
  for (let i = 0; i < DES_TABLE_WORDS; i++) if (words[i] !== built[i]) return false;
  return true;
}

export function storedDesTables(storage: EspruinoStorage): DesTables {
  const built = buildDesTables();
  if (!sameWords(storage.readArrayBuffer(DES_TABLE_FILE), built)) storage.write(DES_TABLE_FILE, new Uint8Array(built.buffer));
  const stored = storage.readArrayBuffer(DES_TABLE_FILE);
  return new DesTables(stored !== undefined && sameWords(stored, built) ? stored : built.buffer);
}
