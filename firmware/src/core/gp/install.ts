/**
 * INSTALL command builders (GPCS 11.5). All write a short case 4 APDU
 * `80 E6 P1 00 Lc data 00` into out[0..] and return its length, or -1 when an argument is out of
 * range or the command does not fit out (or 255 data bytes).
 */
import { CLA_GP, INS_INSTALL, P1_INSTALL_AND_MAKE_SELECTABLE, P1_INSTALL_FOR_LOAD, TAG_APPLICATION_PARAMS } from './constants';
import { finishCase4, isAid, putLv, startCommand } from './_lv';
import { copy } from '../bytes';
import { lengthSize, writeLength, writeTag } from '../tlv';

/** GPCS Table 11-42: the load file data block hash, when present, is at most 127 bytes. */
const HASH_MAX_LEN = 0x7f;

/**
 * INSTALL [for load] (GPCS Table 11-42):
 *   len || load file AID || len || SD AID (may be empty) || len || LFDB hash (may be empty)
 *   || len || load parameters || len || load token
 * securityDomainAid, hash, loadParams, token may be null (empty field).
 */
export function buildInstallForLoad(
  loadFileAid: Uint8Array,
  securityDomainAid: Uint8Array | null,
  hash: Uint8Array | null,
  loadParams: Uint8Array | null,
  token: Uint8Array | null,
  out: Uint8Array,
): number {
  if (!isAid(loadFileAid)) return -1;
  if (securityDomainAid !== null && securityDomainAid.length > 0 && !isAid(securityDomainAid)) return -1;
  if (hash !== null && hash.length > HASH_MAX_LEN) return -1;
  let o = startCommand(out, CLA_GP, INS_INSTALL, P1_INSTALL_FOR_LOAD, 0x00);
  o = putLv(out, o, loadFileAid, false);
  o = putLv(out, o, securityDomainAid, false);
  o = putLv(out, o, hash, false);
  o = putLv(out, o, loadParams, true);
  o = putLv(out, o, token, true);
  return o < 0 ? -1 : finishCase4(out, o);
}

/**
 * INSTALL [for install and make selectable] (GPCS Table 11-43; P1 0C):
 *   len || ELF AID || len || module AID || len || instance AID || len || privileges (1 or 3)
 *   || len || install parameters || len || install token
 * The install parameters field is `C9 len applicationParams`: C9 is mandatory, `C9 00` when the
 * application takes none (GPCS ch. 11); applicationParams is the value of C9, may be null.
 */
export function buildInstallForInstall(
  loadFileAid: Uint8Array,
  moduleAid: Uint8Array,
  instanceAid: Uint8Array,
  privileges: Uint8Array,
  applicationParams: Uint8Array | null,
  token: Uint8Array | null,
  out: Uint8Array,
): number {
  if (!isAid(loadFileAid) || !isAid(moduleAid) || !isAid(instanceAid)) return -1;
  if (privileges.length !== 1 && privileges.length !== 3) return -1;
  let o = startCommand(out, CLA_GP, INS_INSTALL, P1_INSTALL_AND_MAKE_SELECTABLE, 0x00);
  o = putLv(out, o, loadFileAid, false);
  o = putLv(out, o, moduleAid, false);
  o = putLv(out, o, instanceAid, false);
  o = putLv(out, o, privileges, false);
  o = putInstallParams(out, o, applicationParams);
  o = putLv(out, o, token, true);
  return o < 0 ? -1 : finishCase4(out, o);
}

/** len || C9 len value, both lengths in BER form (GPCS Table 11-43). */
function putInstallParams(out: Uint8Array, off: number, applicationParams: Uint8Array | null): number {
  if (off < 0) return -1;
  const n = applicationParams === null ? 0 : applicationParams.length;
  const inner = 1 + lengthSize(n) + n;
  if (off + lengthSize(inner) + inner > out.length) return -1;
  let o = writeLength(out, off, inner);
  o = writeTag(out, o, TAG_APPLICATION_PARAMS);
  o = writeLength(out, o, n);
  if (applicationParams !== null) copy(applicationParams, 0, out, o, n);
  return o + n;
}
