/**
 * Card keys from issuer master keys, done by the issuer when it builds a card's package (the card
 * never sees a master key).
 *
 * Purse keys (transit, e-cash), PBOC key diversification (crypto/pboc.ts): left half =
 * 3DES-ECB(MK, D), right half = 3DES-ECB(MK, D xor FF..FF), D = the rightmost 8 bytes of the
 * 10-byte application serial number (the card number in BCD, as in SFI 15).
 *
 * Loyalty MAC key: NIST SP 800-108 counter-mode KDF with AES-CMAC (the SCP03 KDF of GP Amendment D
 * §4.1.5, crypto/kdf.ts) keyed with the merchant master key, constant LOYALTY_KEY_CONSTANT, context
 * = the 10-byte card number, 128 bits. The merchant server derives the same key to make MACs.
 */
import { SoftAes } from '../crypto/aes';
import { Cmac } from '../crypto/cmac';
import { scp03Derive } from '../crypto/kdf';
import type { PbocCrypto } from '../crypto/pboc';
import { softPbocCrypto } from '../crypto/soft-pboc';
import type { LoyaltyMasterKeys, PurseMasterKeys } from './dev-keys';
import { CARD_NUMBER_LEN, KEY_VALUE_LEN } from './format';

/** Outside GP Amendment D table 4-1 (00..07) and the platform's ISD constants (71..73). */
export const LOYALTY_KEY_CONSTANT = 0x74;
const DIVERSIFICATION_DATA_OFF = CARD_NUMBER_LEN - 8;

export interface PurseCardKeys {
  load: Uint8Array;
  purchase: Uint8Array;
  tac: Uint8Array;
}

function checkCardNumber(cardNumber: Uint8Array): void {
  if (cardNumber.length !== CARD_NUMBER_LEN) throw new Error(`card number: expected ${CARD_NUMBER_LEN} BCD bytes, got ${cardNumber.length}`);
}

/** One PBOC-diversified 16-byte card key. */
export function diversifyPurseKey(pboc: PbocCrypto, masterKey: Uint8Array, cardNumber: Uint8Array): Uint8Array {
  checkCardNumber(cardNumber);
  if (masterKey.length !== KEY_VALUE_LEN) throw new Error(`purse master key: expected 16 bytes, got ${masterKey.length}`);
  const out = new Uint8Array(KEY_VALUE_LEN);
  pboc.diversify(masterKey, cardNumber, DIVERSIFICATION_DATA_OFF, out);
  return out;
}

/** The three card keys, on the portable DES engines. */
export function diversifyPurseKeys(master: PurseMasterKeys, cardNumber: Uint8Array): PurseCardKeys {
  return diversifyPurseKeysWith(softPbocCrypto(), master, cardNumber);
}

/**
 * The three card keys on the caller's engines: a server passes node:crypto ones
 * (net/crypto/node-des.ts). pboc must be a host PbocCrypto (no TAC engine): it wipes every key
 * after every operation.
 */
export function diversifyPurseKeysWith(pboc: PbocCrypto, master: PurseMasterKeys, cardNumber: Uint8Array): PurseCardKeys {
  return {
    load: diversifyPurseKey(pboc, master.load, cardNumber),
    purchase: diversifyPurseKey(pboc, master.purchase, cardNumber),
    tac: diversifyPurseKey(pboc, master.tac, cardNumber),
  };
}

export function deriveLoyaltyKey(master: LoyaltyMasterKeys, cardNumber: Uint8Array): Uint8Array {
  checkCardNumber(cardNumber);
  if (master.mac.length !== KEY_VALUE_LEN) throw new Error(`loyalty master key: expected 16 bytes, got ${master.mac.length}`);
  const aes = new SoftAes();
  aes.setKey(master.mac, 0, KEY_VALUE_LEN);
  const out = new Uint8Array(KEY_VALUE_LEN);
  scp03Derive(new Cmac(aes), LOYALTY_KEY_CONSTANT, cardNumber, 0, CARD_NUMBER_LEN, 128, out, 0);
  aes.wipe();
  return out;
}
