/**
 * What an issuer asks for ("a transit card for issuer 1000, number 2000...") turned into a full
 * PackageSpec: the AIDs (aids.ts), the card keys diversified from the issuer's master keys
 * (card-keys.ts), the privileges and the default issuer data. Tools and issuers only.
 */
import { writeU16 } from '../bytes';
import type { PbocCrypto } from '../crypto/pboc';
import { APP_CLASS_ECASH, APP_CLASS_LOYALTY, APP_CLASS_TRANSIT } from '../se/package-header';
import { applicationAid, moduleAid, packageAid } from './aids';
import type { PackageKey, PackageSpec } from './builder';
import { deriveLoyaltyKey, diversifyPurseKeys, diversifyPurseKeysWith } from './card-keys';
import type { LoyaltyMasterKeys, PurseMasterKeys } from './dev-keys';
import { ISSUER_DATA_LEN, KEY_ALG_3DES, KEY_ALG_AES128, KEY_TYPE_LOAD, KEY_TYPE_LOYALTY_MAC, KEY_TYPE_PURCHASE, KEY_TYPE_TAC, PRIVILEGE_CARD_RESET } from './format';

/** 1000.00 CNY in fen: the usual ceiling of a PBOC e-purse and of T-Union cards. */
export const DEFAULT_PURSE_CEILING = 100000;
export const DEFAULT_POINTS_CEILING = 99999999;
export const PACKAGE_VERSION = 0x0100;

export interface CardPackageRequest {
  appClass: number;
  issuerId: number;
  /** 10 bytes BCD (bcd.ts encodeBcd). */
  cardNumber: Uint8Array;
  /** Transit and e-cash: the issuer's purse master keys. */
  purseKeys: PurseMasterKeys | null;
  /** Loyalty: the merchant's master key. */
  loyaltyKeys: LoyaltyMasterKeys | null;
  /** null: the class's default AID for this issuer (aids.ts). */
  applicationAid: Uint8Array | null;
  /** Transit only: use the bare T-Union AID A000000632010105. */
  tunion: boolean;
  /** Give the card the Card Reset privilege: it answers when no AID was selected. */
  defaultCard: boolean;
  validFrom: Uint8Array;
  validTo: Uint8Array;
  /** null: DEFAULT_PURSE_CEILING or DEFAULT_POINTS_CEILING. */
  ceiling: number | null;
  /** Packed PIN (e-cash: ED purchases then need VERIFY), or null. */
  pin: Uint8Array | null;
  /** 8 bytes for SFI 15, or null: issuer id then zeros. */
  issuerData: Uint8Array | null;
  cardFaceName: Uint8Array | null;
  terms: Uint8Array | null;
}

function purseKeys(master: PurseMasterKeys, cardNumber: Uint8Array, pboc: PbocCrypto | undefined): PackageKey[] {
  const k = pboc === undefined ? diversifyPurseKeys(master, cardNumber) : diversifyPurseKeysWith(pboc, master, cardNumber);
  const entry = (type: number, value: Uint8Array): PackageKey => {
    return { type: type, index: master.keyIndex, version: master.keyVersion, algorithm: KEY_ALG_3DES, value: value };
  };
  return [entry(KEY_TYPE_LOAD, k.load), entry(KEY_TYPE_PURCHASE, k.purchase), entry(KEY_TYPE_TAC, k.tac)];
}

/** pboc: the DES engines of the purse keys' diversification (card-keys.ts diversifyPurseKeysWith); without it the portable ones. */
export function makePackageSpec(req: CardPackageRequest, pboc?: PbocCrypto): PackageSpec {
  const cls = req.appClass;
  let keys: PackageKey[];
  if (cls === APP_CLASS_TRANSIT || cls === APP_CLASS_ECASH) {
    if (req.purseKeys === null) throw new Error('a purse package needs the issuer purse master keys');
    keys = purseKeys(req.purseKeys, req.cardNumber, pboc);
  } else if (cls === APP_CLASS_LOYALTY) {
    if (req.loyaltyKeys === null) throw new Error('a loyalty package needs the merchant master key');
    const m = req.loyaltyKeys;
    keys = [{ type: KEY_TYPE_LOYALTY_MAC, index: m.keyIndex, version: m.keyVersion, algorithm: KEY_ALG_AES128, value: deriveLoyaltyKey(m, req.cardNumber) }];
  } else {
    throw new Error(`unknown application class ${cls}`);
  }
  if (req.pin !== null && cls !== APP_CLASS_ECASH) throw new Error('only an e-cash package carries a PIN');
  let issuerData = req.issuerData;
  if (issuerData === null) {
    issuerData = new Uint8Array(ISSUER_DATA_LEN);
    writeU16(issuerData, 0, req.issuerId);
  }
  const aid = req.applicationAid === null ? applicationAid(cls, req.issuerId, req.tunion) : req.applicationAid;
  const privileges = new Uint8Array(1);
  if (req.defaultCard) privileges[0] = PRIVILEGE_CARD_RESET;
  let ceiling = req.ceiling;
  if (ceiling === null) ceiling = cls === APP_CLASS_LOYALTY ? DEFAULT_POINTS_CEILING : DEFAULT_PURSE_CEILING;
  return {
    appClass: cls,
    version: PACKAGE_VERSION,
    packageAid: packageAid(cls, req.issuerId, req.cardNumber),
    moduleAid: moduleAid(cls),
    instanceAid: aid,
    privileges: privileges,
    cardNumber: req.cardNumber,
    issuerId: req.issuerId,
    issuerData: issuerData,
    validFrom: req.validFrom,
    validTo: req.validTo,
    ceiling: ceiling,
    keys: keys,
    pin: req.pin,
    cardFaceName: req.cardFaceName,
    terms: req.terms,
  };
}
