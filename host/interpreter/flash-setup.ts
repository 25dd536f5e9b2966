/**
 * Writes files into the interpreter's Storage (espruino.flash in the state directory) by running
 * the interpreter itself on a setup script, so the flash holds Espruino's own Storage format
 * (src/jsflash.c). `espruino FILE.js` runs a file without boot code (targets/linux/main.c), so an
 * installed .bootcde does not start while files are written. Each host file is read through
 * E.openFile in 1024-byte chunks and written the way EspruinoTools' Save on Send writes .bootcde
 * (plugins/saveOnSend.js: write(name, chunk, 0, total), then write(name, chunk, offset)), so the
 * whole file never sits in the interpreter's RAM.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UPLOAD_CHUNK } from '../emulator/emulated-board';

const DONE = '<tapcard-harness:stored>';

export interface StorageFileSource {
  /** Storage file name (at most 28 characters, src/jsflash.h). */
  name: string;
  /** Host file whose bytes become the Storage file. */
  hostFile: string;
}

export class FlashSetupError extends Error {}

function setupScript(files: StorageFileSource[]): string {
  const lines = [
    'var S=require("Storage");',
    'function put(name,file,size){',
    '  S.erase(name);',
    '  var f=E.openFile(file,"r"),o=0,c;',
    `  while(o<size&&(c=f.read(${UPLOAD_CHUNK}))){if(o===0)S.write(name,c,0,size);else S.write(name,c,o);o+=c.length;}`,
    '  f.close();',
    '  if(o!==size||S.read(name).length!==size)throw new Error("stored "+o+" of "+size+" bytes of "+name);',
    '}',
  ];
  for (const f of files) {
    lines.push(`put(${JSON.stringify(f.name)},${JSON.stringify(path.resolve(f.hostFile))},${fs.statSync(f.hostFile).size});`);
  }
  lines.push(`print(${JSON.stringify(DONE)});`, 'quit();');
  return lines.join('\n');
}

/** Stores the files (replacing files of the same name) in `stateDir`'s espruino.flash. */
export function storeFiles(binary: string, stateDir: string, files: StorageFileSource[]): void {
  fs.mkdirSync(stateDir, { recursive: true });
  const script = path.join(stateDir, 'storage-setup.js');
  fs.writeFileSync(script, setupScript(files));
  let out: string;
  try {
    out = execFileSync(binary, [script], { cwd: stateDir, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    throw new FlashSetupError(`storing ${files.map((f) => f.name).join(', ')} failed: ${(err as Error).message}`);
  } finally {
    fs.rmSync(script, { force: true });
  }
  if (!out.includes(DONE) || out.includes('Uncaught')) {
    throw new FlashSetupError(`storing ${files.map((f) => f.name).join(', ')} failed:\n${out.slice(-2000)}`);
  }
}
