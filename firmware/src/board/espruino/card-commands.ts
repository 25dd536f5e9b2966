/**
 * REPL commands that read the SE's card managers (the service information each card keeps,
 * core/se/card-manager.ts): cards() lists the virtual cards, balance() their balances. They only
 * read; changing cards (download, delete) goes through the platform and the MCU.
 */
import { toHex } from '../../core/hex';
import { readU16 } from '../../core/bytes';
import {
  CARD_NUMBER_LEN, CM_AID, CM_AID_LEN, CM_APP_CLASS, CM_CARD_NUMBER, CM_ISSUER, CM_STATUS, CM_STATUS_LOCKED,
} from '../../core/se/card-manager';
import { SLOT_COUNT } from '../../core/se/records';
import type { SecureElement } from '../../core/se/secure-element';

export function cardLines(se: SecureElement): string[] {
  const cm = se.cardManager;
  const lines: string[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (!cm.load(slot)) continue;
    const r = cm.record;
    lines.push(
      'slot ' + slot + ': AID ' + toHex(r, CM_AID, r[CM_AID_LEN]) +
        ', class ' + r[CM_APP_CLASS] +
        ', issuer ' + readU16(r, CM_ISSUER) +
        ', card ' + toHex(r, CM_CARD_NUMBER, CARD_NUMBER_LEN) +
        (r[CM_STATUS] === CM_STATUS_LOCKED ? ', locked' : ''),
    );
  }
  if (lines.length === 0) lines.push('no cards installed');
  return lines;
}

export function balanceLines(se: SecureElement): string[] {
  const cm = se.cardManager;
  const lines: string[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (!cm.load(slot)) continue;
    lines.push('slot ' + slot + ' (' + toHex(cm.record, CM_AID, cm.record[CM_AID_LEN]) + '): ' + cm.balance());
  }
  if (lines.length === 0) lines.push('no cards installed');
  return lines;
}
