/**
 * The board description EspruinoTools gets with `--board FILE` (docs/espruino.md "Uploading"): with it the CLI
 * skips the process.env query and the download of www.espruino.com/json/ESP32.json, knows the
 * firmware is new enough for Storage uploads (binary_version), and treats the modules the bundle
 * requires as built in instead of fetching them (core/modules.js isBuiltIn). saved_code is the
 * 2v26+ Storage partition (docs/espruino.md "Storage"), used by `--ohex`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ESPRUINO_BUILTIN_MODULES } from '../../tools/firmware/build-firmware';

/** The Espruino release the board JSON claims; Save on Send needs 1v96 or later. */
export const BOARD_FIRMWARE_VERSION = '2v26';

export const ESP32_BOARD = {
  info: {
    name: 'ESP32',
    binary_version: BOARD_FIRMWARE_VERSION,
    builtin_modules: ESPRUINO_BUILTIN_MODULES,
  },
  chip: {
    family: 'ESP32',
    saved_code: { address: 0x320000, page_size: 4096, pages: 224 },
  },
};

/** Writes the board JSON into dir and returns its path (the CLI recognises a file by its dot). */
export function writeBoardJson(dir: string): string {
  const file = path.join(dir, 'ESP32.tapcard.json');
  fs.writeFileSync(file, JSON.stringify(ESP32_BOARD));
  return file;
}
