/**
 * SELECT by AID and the FCI it returns (GPCS 11.9).
 *
 *   6F len                      FCI template
 *     84 len AID                DF name (the selected AID)
 *     A5 len                    proprietary data
 *       [73 ...] [9F6E ...]     security domain management data, application production life cycle
 *       9F65 01|02 max          maximum length of data field in command message
 */
import { encodeCommand } from '../apdu';
import { copy } from '../bytes';
import { TlvReader } from '../tlv';
import {
  AID_MAX_LEN, CLA_ISO, INS_SELECT, P1_SELECT_BY_NAME, P2_SELECT_FIRST, TAG_DF_NAME, TAG_FCI, TAG_FCI_PROPRIETARY,
  TAG_MAX_COMMAND_DATA,
} from './constants';
import { isAid } from './_lv';

/** Le 00: up to 256 bytes of answer. */
const LE_ALL = 256;

/** 00 A4 04 00 Lc AID 00; with aid null, `00 A4 04 00 00` selects the ISD (GPCS 11.9.2.1). */
export function buildSelect(aid: Uint8Array | null, out: Uint8Array): number {
  if (aid !== null && !isAid(aid)) return -1;
  const n = aid === null ? 0 : aid.length;
  return encodeCommand(CLA_ISO, INS_SELECT, P1_SELECT_BY_NAME, P2_SELECT_FIRST, aid, 0, n, LE_ALL, out, 0);
}

export class Fci {
  readonly aid = new Uint8Array(AID_MAX_LEN);
  aidLen = 0;
  /** Tag 9F65; -1 when the card did not say. */
  maxCommandData = -1;
}

/** Parses buf[off, off+len) as an FCI (layout above) into out; false when malformed or without 84. */
export function parseFci(buf: Uint8Array, off: number, len: number, out: Fci, outer: TlvReader, inner: TlvReader): boolean {
  out.aidLen = 0;
  out.maxCommandData = -1;
  outer.reset(buf, off, len);
  if (!outer.next() || outer.tag !== TAG_FCI) return false;
  const fciOff = outer.valueOff;
  const fciLen = outer.length;
  outer.reset(buf, fciOff, fciLen);
  while (outer.next()) {
    const tag: number = outer.tag;
    if (tag === TAG_DF_NAME) {
      if (outer.length < 1 || outer.length > AID_MAX_LEN) return false;
      copy(buf, outer.valueOff, out.aid, 0, outer.length);
      out.aidLen = outer.length;
    } else if (tag === TAG_FCI_PROPRIETARY) {
      inner.reset(buf, outer.valueOff, outer.length);
      if (inner.find(TAG_MAX_COMMAND_DATA)) {
        if (inner.length === 1) out.maxCommandData = buf[inner.valueOff];
        else if (inner.length === 2) out.maxCommandData = (buf[inner.valueOff] << 8) | buf[inner.valueOff + 1];
        else return false;
      }
      if (inner.malformed) return false;
    }
  }
  return !outer.malformed && out.aidLen > 0;
}
