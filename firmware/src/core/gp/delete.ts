/**
 * DELETE (GPCS 11.2): 80 E4 00 P2 Lc 4F len AID 00, P2 00 = the object only,
 * 80 = the object and its related objects (an ELF with its applications).
 */
import { CLA_GP, INS_DELETE, P2_DELETE_OBJECT, P2_DELETE_RELATED, TAG_AID } from './constants';
import { finishCase4, isAid, startCommand } from './_lv';
import { writeTlv } from '../tlv';

/** Returns the APDU length, or -1 for a bad AID or a too small out. */
export function buildDelete(aid: Uint8Array, related: boolean, out: Uint8Array): number {
  if (!isAid(aid)) return -1;
  const o = startCommand(out, CLA_GP, INS_DELETE, 0x00, related ? P2_DELETE_RELATED : P2_DELETE_OBJECT);
  if (o < 0) return -1;
  const end = writeTlv(out, o, TAG_AID, aid, 0, aid.length);
  return end < 0 ? -1 : finishCase4(out, end);
}
