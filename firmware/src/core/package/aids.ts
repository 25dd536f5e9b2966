/**
 * The AIDs a tapcard package names (docs/package-format.md "AIDs"). Built from tapcard's
 * proprietary RID F0 'TAPC' (format.ts), except the transit application, which uses the T-Union
 * AID (JT/T 978 T-Union files) with the issuer id appended, so a Beijing card and a Shanghai card live side
 * by side in one SE and a T-Union reader's SELECT of A000000632010105 still reaches them by
 * partial name (ISO 7816-4 §5.3.1; the SE answers the first, P2 02 the next).
 *
 *   module AID        F0 54 41 50 43 | 4D 4F | class                     ("MO": the class's module)
 *   package AID       F0 54 41 50 43 | 50 | class | issuer(2) | card number, rightmost 6 bytes
 *   transit app AID   A0 00 00 06 32 01 01 05 | issuer(2)     (or the bare T-Union AID)
 *   e-cash app AID    F0 54 41 50 43 | 45 43 | issuer(2)         ("EC")
 *   loyalty app AID   F0 54 41 50 43 | 4C 59 | issuer(2)         ("LY")
 * Tools only: these allocate.
 */
import { shr } from '../bits';
import { APP_CLASS_ECASH, APP_CLASS_LOYALTY, APP_CLASS_TRANSIT } from '../se/package-header';
import { CARD_NUMBER_LEN, TAPCARD_RID, TUNION_AID } from './format';

/** Package AIDs carry this many trailing card-number bytes, so each card's package has its own AID. */
const PACKAGE_AID_CARD_BYTES = 6;

function join(prefix: number[], tail: number[]): Uint8Array {
  const out = new Uint8Array(prefix.length + tail.length);
  for (let i = 0; i < prefix.length; i++) out[i] = prefix[i];
  for (let i = 0; i < tail.length; i++) out[prefix.length + i] = tail[i] & 0xff;
  return out;
}

export function moduleAid(appClass: number): Uint8Array {
  return join(TAPCARD_RID, [0x4d, 0x4f, appClass]);
}

export function packageAid(appClass: number, issuerId: number, cardNumber: Uint8Array): Uint8Array {
  const tail = [0x50, appClass, shr(issuerId, 8), issuerId];
  for (let i = CARD_NUMBER_LEN - PACKAGE_AID_CARD_BYTES; i < CARD_NUMBER_LEN; i++) tail.push(cardNumber[i]);
  return join(TAPCARD_RID, tail);
}

/** The application (= instance) AID for a class and issuer; tunion: the bare T-Union AID for a transit card. */
export function applicationAid(appClass: number, issuerId: number, tunion: boolean): Uint8Array {
  const issuer = [shr(issuerId, 8), issuerId];
  if (appClass === APP_CLASS_TRANSIT) return tunion ? join(TUNION_AID, []) : join(TUNION_AID, issuer);
  if (appClass === APP_CLASS_ECASH) return join(TAPCARD_RID, [0x45, 0x43, issuer[0], issuer[1]]);
  if (appClass === APP_CLASS_LOYALTY) return join(TAPCARD_RID, [0x4c, 0x59, issuer[0], issuer[1]]);
  throw new Error(`no application AID for package class ${appClass}`);
}
