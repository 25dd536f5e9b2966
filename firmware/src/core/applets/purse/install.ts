/**
 * Personalises a new purse card from its package (package/format.ts) inside the SE's INSTALL
 * transaction: CONFIG, KEYS and a zero STATE (records.ts), and the card-manager record with the
 * card's identity and balance 0. Rejects (6A80) keys a purse cannot use, a PIN on a card without an
 * ED purse, and a ceiling whose two purses could overflow 31 bits.
 */
import { shr } from '../../bits';
import { copy, fill, writeU16, writeU31 } from '../../bytes';
import { decodeBcd } from '../../package/bcd';
import { CARD_NUMBER_LEN, DATE_LEN, ISSUER_DATA_LEN, KEY_ALG_3DES, KEY_AT_ALGORITHM, KEY_AT_TYPE, KEY_AT_VALUE, KEY_AT_VERSION, KEY_ENTRY_LEN, KEY_TYPE_LOAD, KEY_TYPE_PURCHASE, KEY_TYPE_TAC } from '../../package/format';
import type { AppletContext } from '../../se/applet';
import { CM_STATUS_ACTIVE } from '../../se/card-manager';
import type { ElfReader } from '../../se/elf-reader';
import { SW } from '../../sw';
import { copyKeyEntry, packageReader, type PackageReader } from '../_package-reader';
import type { PurseProfile } from './purse-card';
import {
  CFG_CEILING,
  CFG_FLAGS,
  CFG_ISSUER,
  CFG_PUBLIC_INFO,
  CONFIG_LEN,
  FLAG_ED,
  FLAG_PIN,
  KEY_TYPE_PIN,
  MAC_TALLY_LEN,
  MAC_TRY_LIMIT,
  MAX_KEY_ENTRIES,
  PIN_TRY_LIMIT,
  PI_APP_TYPE,
  PI_APP_VERSION,
  PI_CARD_NUMBER,
  PI_ISSUER_DATA,
  PI_VALID_FROM,
  PI_VALID_TO,
  REC_CONFIG,
  REC_KEYS,
  REC_MAC_TALLY,
  REC_STATE,
  STATE_LEN,
  ST_MAC_TRIES,
  ST_PIN_TRIES,
} from './records';

/** Each purse at most 2^30-1 fen, so the card manager's total of both stays below 2^31. */
export const MAX_PURSE_CEILING = 0x3fffffff;

/** Checks the package keys: 3DES load, purchase and TAC keys only, each kind present. */
function checkKeys(r: PackageReader): boolean {
  let kinds = 0;
  for (let i = 0; i < r.keyCount; i++) {
    const at = i * KEY_ENTRY_LEN;
    const type = r.keys[at + KEY_AT_TYPE];
    if (r.keys[at + KEY_AT_ALGORITHM] !== KEY_ALG_3DES) return false;
    if (type === KEY_TYPE_LOAD) kinds = kinds | 1;
    else if (type === KEY_TYPE_PURCHASE) kinds = kinds | 2;
    else if (type === KEY_TYPE_TAC) kinds = kinds | 4;
    else return false;
  }
  return kinds === 7 && r.keyCount < MAX_KEY_ENTRIES;
}

export function installPurse(ctx: AppletContext, elf: ElfReader, profile: PurseProfile): number {
  const r = packageReader();
  let sw = r.read(elf);
  if (sw === SW.OK) sw = personalise(ctx, r, profile);
  r.wipe();
  return sw;
}

function personalise(ctx: AppletContext, r: PackageReader, profile: PurseProfile): number {
  if (r.ceiling > MAX_PURSE_CEILING || !checkKeys(r)) return SW.ERR_WRONG_DATA;
  if (r.pinLen > 0 && (profile.purses & FLAG_ED) === 0) return SW.ERR_WRONG_DATA;
  const pinDigits = r.pinLen > 0 ? decodeBcd(r.pin, 0, r.pinLen) : '';
  if (pinDigits === null || (r.pinLen > 0 && shr(pinDigits.length + 1, 1) !== r.pinLen)) return SW.ERR_WRONG_DATA;

  const config = new Uint8Array(CONFIG_LEN);
  config[CFG_FLAGS] = profile.purses | (r.pinLen > 0 ? FLAG_PIN : 0);
  writeU16(config, CFG_ISSUER, r.issuerId);
  writeU31(config, CFG_CEILING, r.ceiling);
  const pi = CFG_PUBLIC_INFO;
  copy(r.issuerData, 0, config, pi + PI_ISSUER_DATA, ISSUER_DATA_LEN);
  config[pi + PI_APP_TYPE] = profile.appType;
  config[pi + PI_APP_VERSION] = shr(r.version, 8) & 0xff;
  copy(r.cardNumber, 0, config, pi + PI_CARD_NUMBER, CARD_NUMBER_LEN);
  copy(r.validFrom, 0, config, pi + PI_VALID_FROM, DATE_LEN);
  copy(r.validTo, 0, config, pi + PI_VALID_TO, DATE_LEN);

  const keysLen = (r.keyCount + (r.pinLen > 0 ? 1 : 0)) * KEY_ENTRY_LEN;
  const keys = new Uint8Array(keysLen);
  for (let i = 0; i < r.keyCount; i++) copyKeyEntry(r, i, keys, i * KEY_ENTRY_LEN);
  if (r.pinLen > 0) {
    const at = r.keyCount * KEY_ENTRY_LEN;
    keys[at + KEY_AT_TYPE] = KEY_TYPE_PIN;
    keys[at + KEY_AT_VERSION] = pinDigits.length;
    fill(keys, at + KEY_AT_VALUE, KEY_ENTRY_LEN - KEY_AT_VALUE, 0xff);
    copy(r.pin, 0, keys, at + KEY_AT_VALUE, r.pinLen);
  }

  const state = new Uint8Array(STATE_LEN);
  state[ST_MAC_TRIES] = MAC_TRY_LIMIT;
  state[ST_PIN_TRIES] = PIN_TRY_LIMIT;

  const store = ctx.services.store;
  const cm = ctx.services.cardManager;
  cm.init(profile.classId, ctx.aid, 0, ctx.aidLen, r.version);
  cm.setIdentity(r.issuerId, r.cardNumber, 0);
  cm.setBalance(0);
  cm.setStatus(CM_STATUS_ACTIVE);
  const t = ctx.dataType;
  const ok =
    store.put(t, REC_CONFIG, config, 0, CONFIG_LEN) &&
    store.put(t, REC_KEYS, keys, 0, keysLen) &&
    store.put(t, REC_STATE, state, 0, STATE_LEN) &&
    store.putTally(t, REC_MAC_TALLY, MAC_TALLY_LEN) &&
    cm.stage(ctx.slot);
  fill(keys, 0, keysLen, 0);
  return ok ? SW.OK : SW.ERR_NOT_ENOUGH_MEMORY;
}
