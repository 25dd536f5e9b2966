/**
 * The GP script that installs one package on an SE (GPCS 11.5, 11.6; ARCHITECTURE.md flow 2), as
 * plain APDUs the data security unit then protects one by one:
 *   [DELETE the load file (and its applications) already holding the application or package]
 *   INSTALL [for load] -> LOAD block 0..n-1 -> INSTALL [for install and make selectable]
 * Rebuilt identically from the same package and decision, so a resumed job re-sends byte for byte
 * what it sent before.
 */
import { buildDelete } from '../../../firmware/src/core/gp/delete';
import { buildInstallForInstall, buildInstallForLoad } from '../../../firmware/src/core/gp/install';
import { MAX_LOAD_BLOCKS, buildLoad, loadBlockCount, loadBlockSize } from '../../../firmware/src/core/gp/load-script';
import { ISD_AID } from '../../../firmware/src/core/se/aid';
import { MAX_COMMAND_DATA } from '../../../firmware/src/core/se/isd';
import { DOWNLOAD_SECURITY_LEVEL } from './data-security-unit';
import type { IssuedPackage } from '../../../contracts/issuer';

export interface ScriptCommand {
  name: string;
  apdu: Uint8Array;
  /** LOAD block number, for progress. */
  block?: number;
}

/** deleteAid: hex AID of a load file to delete (with its applications) first, or null. */
export function buildInstallScript(pkg: IssuedPackage, deleteAid: string | null): ScriptCommand[] {
  const buf = new Uint8Array(300);
  const take = (n: number, what: string): Uint8Array => {
    if (n < 0) throw new Error(`${what}: the package's AIDs or sizes do not fit the command`);
    return buf.slice(0, n);
  };
  const script: ScriptCommand[] = [];
  if (deleteAid !== null) script.push({ name: 'DELETE', apdu: take(buildDelete(Buffer.from(deleteAid, 'hex'), true, buf), 'DELETE') });
  script.push({ name: 'INSTALL [for load]', apdu: take(buildInstallForLoad(pkg.packageAid, ISD_AID, null, null, null, buf), 'INSTALL [for load]') });
  const blockSize = loadBlockSize(MAX_COMMAND_DATA, DOWNLOAD_SECURITY_LEVEL);
  const blocks = loadBlockCount(pkg.loadFile.length, blockSize);
  if (blocks > MAX_LOAD_BLOCKS) throw new Error(`package of ${pkg.loadFile.length} bytes needs ${blocks} LOAD blocks; at most ${MAX_LOAD_BLOCKS}`);
  for (let b = 0; b < blocks; b++) {
    const off = b * blockSize;
    const len = Math.min(blockSize, pkg.loadFile.length - off);
    script.push({ name: `LOAD ${b}`, block: b, apdu: take(buildLoad(b, b === blocks - 1, pkg.loadFile, off, len, buf), 'LOAD') });
  }
  script.push({
    name: 'INSTALL [for install]',
    apdu: take(buildInstallForInstall(pkg.packageAid, pkg.moduleAid, pkg.instanceAid, pkg.privileges, pkg.installParams, null, buf), 'INSTALL [for install]'),
  });
  buf.fill(0);
  return script;
}
