/**
 * The terminal's cards as `tapcard terminal cards` shows them: each slot's application (registry)
 * and its card-manager record (service information). Read straight from the SE's store; no key is
 * involved.
 */
import { appletClassName } from '../../firmware/src/core/applets/built-in';
import { readU16, readU31 } from '../../firmware/src/core/bytes';
import { toHex } from '../../firmware/src/core/hex';
import {
  CARD_NUMBER_LEN, CM_AID, CM_AID_LEN, CM_APP_CLASS, CM_BALANCE, CM_CARD_NUMBER, CM_ISSUER, CM_STATUS, CM_VERSION,
} from '../../firmware/src/core/se/card-manager';
import { APP_AID, APP_AID_LEN, APP_LIFE_CYCLE, SLOT_COUNT } from '../../firmware/src/core/se/records';
import type { SecureElement } from '../../firmware/src/core/se/secure-element';

export interface TerminalCard {
  slot: number;
  /** SE serial and slot: the card serial the platform keys its cards table by. */
  cardSerial: string;
  aid: string;
  lifeCycle: number;
  cardManager: {
    appClass: number;
    /** The class by name: transit, ecash, loyalty. */
    appClassName: string;
    aid: string;
    issuer: number;
    cardNumber: string;
    balance: number;
    version: number;
    status: number;
  } | null;
}

export function cardSerial(seSerialHex: string, slot: number): string {
  return `${seSerialHex}${slot.toString(16).padStart(2, '0')}`;
}

export function readCards(se: SecureElement): TerminalCard[] {
  const out: TerminalCard[] = [];
  const r = se.registry;
  r.reload();
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (!r.appUsed[slot]) continue;
    const a = r.appAt(slot);
    const cm = se.cardManager;
    const rec = cm.load(slot) ? cm.record : null;
    out.push({
      slot,
      cardSerial: cardSerial(toHex(se.serial).toLowerCase(), slot),
      aid: toHex(r.apps, a + APP_AID, r.apps[a + APP_AID_LEN]),
      lifeCycle: r.apps[a + APP_LIFE_CYCLE],
      cardManager:
        rec === null
          ? null
          : {
              appClass: rec[CM_APP_CLASS],
              appClassName: appletClassName(rec[CM_APP_CLASS]),
              aid: toHex(rec, CM_AID, rec[CM_AID_LEN]),
              issuer: readU16(rec, CM_ISSUER),
              cardNumber: toHex(rec, CM_CARD_NUMBER, CARD_NUMBER_LEN),
              balance: readU31(rec, CM_BALANCE),
              version: readU16(rec, CM_VERSION),
              status: rec[CM_STATUS],
            },
    });
  }
  return out;
}
