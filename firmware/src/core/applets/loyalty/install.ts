/**
 * Personalises a new loyalty card from its package inside the SE's INSTALL transaction: CONFIG,
 * the one AES-128 merchant MAC key, a STATE with 0 points and no coupons (loyalty/records.ts), and
 * the card-manager record.
 */
import { copy, writeU16, writeU31 } from '../../bytes';
import { CARD_NUMBER_LEN, DATE_LEN, KEY_ALG_AES128, KEY_AT_ALGORITHM, KEY_AT_TYPE, KEY_ENTRY_LEN, KEY_TYPE_LOYALTY_MAC } from '../../package/format';
import type { AppletContext } from '../../se/applet';
import { CM_STATUS_ACTIVE } from '../../se/card-manager';
import type { ElfReader } from '../../se/elf-reader';
import { APP_CLASS_LOYALTY } from '../../se/package-header';
import { SW } from '../../sw';
import { copyKeyEntry, packageReader, type PackageReader } from '../_package-reader';
import { CFG_CARD_NUMBER, CFG_CEILING, CFG_ISSUER, CFG_VALID_FROM, CFG_VALID_TO, CONFIG_LEN, MAC_TRY_LIMIT, REC_CONFIG, REC_KEY, REC_STATE, STATE_LEN, ST_MAC_TRIES } from './records';

export function installLoyalty(ctx: AppletContext, elf: ElfReader): number {
  const r = packageReader();
  let sw = r.read(elf);
  if (sw === SW.OK) sw = personalise(ctx, r);
  r.wipe();
  return sw;
}

function personalise(ctx: AppletContext, r: PackageReader): number {
  if (r.keyCount !== 1 || r.pinLen !== 0) return SW.ERR_WRONG_DATA;
  if (r.keys[KEY_AT_TYPE] !== KEY_TYPE_LOYALTY_MAC || r.keys[KEY_AT_ALGORITHM] !== KEY_ALG_AES128) return SW.ERR_WRONG_DATA;
  const config = new Uint8Array(CONFIG_LEN);
  writeU16(config, CFG_ISSUER, r.issuerId);
  writeU31(config, CFG_CEILING, r.ceiling);
  copy(r.cardNumber, 0, config, CFG_CARD_NUMBER, CARD_NUMBER_LEN);
  copy(r.validFrom, 0, config, CFG_VALID_FROM, DATE_LEN);
  copy(r.validTo, 0, config, CFG_VALID_TO, DATE_LEN);
  const key = new Uint8Array(KEY_ENTRY_LEN);
  copyKeyEntry(r, 0, key, 0);
  const state = new Uint8Array(STATE_LEN);
  state[ST_MAC_TRIES] = MAC_TRY_LIMIT;

  const store = ctx.services.store;
  const cm = ctx.services.cardManager;
  cm.init(APP_CLASS_LOYALTY, ctx.aid, 0, ctx.aidLen, r.version);
  cm.setIdentity(r.issuerId, r.cardNumber, 0);
  cm.setBalance(0);
  cm.setStatus(CM_STATUS_ACTIVE);
  const t = ctx.dataType;
  const ok =
    store.put(t, REC_CONFIG, config, 0, CONFIG_LEN) &&
    store.put(t, REC_KEY, key, 0, KEY_ENTRY_LEN) &&
    store.put(t, REC_STATE, state, 0, STATE_LEN) &&
    cm.stage(ctx.slot);
  for (let i = 0; i < KEY_ENTRY_LEN; i++) key[i] = 0;
  return ok ? SW.OK : SW.ERR_NOT_ENOUGH_MEMORY;
}
