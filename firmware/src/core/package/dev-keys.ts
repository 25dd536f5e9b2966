/**
 * Development master keys of the three issuers. DEVELOPMENT ONLY: they are published (here, in
 * docs/package-format.md and README), so anything personalised with them is a test card.
 *
 * Purse issuers (transit, bank) hold three 16-byte 3DES master keys at key index 01, from which
 * each card's DLK / DPK / DTK are diversified over its card number (card-keys.ts, JR/T 0025 e-purse security).
 * The transit values are fixed test values; the bank's and the merchant's are tapcard's choice.
 */
import { fromHex } from '../hex';

export interface PurseMasterKeys {
  keyIndex: number;
  keyVersion: number;
  /** MLK: master load key. */
  load: Uint8Array;
  /** MPK: master purchase key. */
  purchase: Uint8Array;
  /** MTK: master TAC key. */
  tac: Uint8Array;
}

export interface LoyaltyMasterKeys {
  keyIndex: number;
  keyVersion: number;
  /** MMK: the merchant server's AES-128 master key for the cards' EARN/REDEEM MAC keys. */
  mac: Uint8Array;
}

export function devTransitMasterKeys(): PurseMasterKeys {
  return {
    keyIndex: 0x01,
    keyVersion: 0x01,
    load: fromHex('11223344556677888877665544332211'),
    purchase: fromHex('00112233445566778899aabbccddeeff'),
    tac: fromHex('0f1e2d3c4b5a69788796a5b4c3d2e1f0'),
  };
}

export function devBankMasterKeys(): PurseMasterKeys {
  return {
    keyIndex: 0x01,
    keyVersion: 0x01,
    load: fromHex('0123456789abcdeffedcba9876543210'),
    purchase: fromHex('1032547698badcfeefcdab8967452301'),
    tac: fromHex('55555555aaaaaaaa5a5a5a5aa5a5a5a5'),
  };
}

export function devMerchantMasterKeys(): LoyaltyMasterKeys {
  return {
    keyIndex: 0x01,
    keyVersion: 0x01,
    mac: fromHex('6d65726368616e742d6465762d6b6579'), // "merchant-dev-key"
  };
}
