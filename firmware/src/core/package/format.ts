/**
 * The tapcard install package: what a GlobalPlatform Load File Data Block (the value of tag C4,
 * GPCS Table 11-58; GPCS ch. 11) carries for tapcard's SE. Full description with examples in
 * docs/package-format.md.
 *
 *   C4 len                                   Load File Data Block (the SE stores its value)
 *     A0 len  header                         4F package AID | 84 module AID | 80 app class | 81 version
 *                                            (se/package-header.ts: the SE reads it from LOAD block 0)
 *     A1 len  install parameters             4F instance AID | C5 privileges (1 or 3 bytes)
 *     A2 len  personalisation                80 card number (10, BCD) | 81 issuer id (2)
 *                                            82 issuer data (8) | 83 valid from (4, BCD YYYYMMDD)
 *                                            84 valid to (4) | 85 balance or points ceiling (4)
 *     A3 len  card keys                      C0 (20): type | index | version | algorithm | key (16), repeated
 *                                            C1 (1..6): PIN, BCD, odd digit count padded with F
 *     A4 len  resources (optional)           50 card face name (UTF-8) | 51 terms of use (UTF-8)
 *     AF len  issuer signature (optional)    80 algorithm | 81 key id (8) | 82 signature
 *
 * The signature covers the LFDB value from the start of A0 to the end of A4: every byte before AF.
 * AF, when present, is the last TLV.
 */

export const TAG_LOAD_FILE_DATA_BLOCK = 0xc4;
export const TAG_HEADER = 0xa0;
export const TAG_INSTALL = 0xa1;
export const TAG_PERSONALISATION = 0xa2;
export const TAG_KEYS = 0xa3;
export const TAG_RESOURCES = 0xa4;
export const TAG_SIGNATURE = 0xaf;

/** Inside A0 (se/package-header.ts holds the same values for the SE). */
export const TAG_PACKAGE_AID = 0x4f;
export const TAG_MODULE_AID = 0x84;
export const TAG_APP_CLASS = 0x80;
export const TAG_VERSION = 0x81;

/** Inside A1. */
export const TAG_INSTANCE_AID = 0x4f;
export const TAG_PRIVILEGES = 0xc5;

/** Inside A2. */
export const TAG_CARD_NUMBER = 0x80;
export const TAG_ISSUER_ID = 0x81;
export const TAG_ISSUER_DATA = 0x82;
export const TAG_VALID_FROM = 0x83;
export const TAG_VALID_TO = 0x84;
export const TAG_CEILING = 0x85;

/** Inside A3. */
export const TAG_KEY = 0xc0;
export const TAG_PIN = 0xc1;

/** Inside A4. */
export const TAG_CARD_FACE_NAME = 0x50;
export const TAG_TERMS = 0x51;

/** Inside AF. */
export const TAG_SIGNATURE_ALGORITHM = 0x80;
export const TAG_SIGNATURE_KEY_ID = 0x81;
export const TAG_SIGNATURE_VALUE = 0x82;
/** Ed25519 (RFC 8032) over the signed bytes; made and checked off-card (docs/package-format.md). */
export const SIGNATURE_ED25519 = 0x01;
export const SIGNATURE_KEY_ID_LEN = 8;

export const CARD_NUMBER_LEN = 10;
export const ISSUER_DATA_LEN = 8;
export const DATE_LEN = 4;

/** A3 key entry: type | index | version | algorithm | key. */
export const KEY_ENTRY_LEN = 20;
export const KEY_VALUE_LEN = 16;
export const KEY_AT_TYPE = 0;
export const KEY_AT_INDEX = 1;
export const KEY_AT_VERSION = 2;
export const KEY_AT_ALGORITHM = 3;
export const KEY_AT_VALUE = 4;

/** Key types: the PBOC purse keys (JR/T 0025 e-purse security) and the loyalty card's merchant MAC key. */
export const KEY_TYPE_LOAD = 0x01;
export const KEY_TYPE_PURCHASE = 0x02;
export const KEY_TYPE_TAC = 0x03;
export const KEY_TYPE_LOYALTY_MAC = 0x04;
/** Algorithm ids: 00 = 3DES as in the PBOC algorithm id (JR/T 0025 e-purse commands); 10 = AES-128 (tapcard's). */
export const KEY_ALG_3DES = 0x00;
export const KEY_ALG_AES128 = 0x10;

/** PIN: 4..12 digits (JR/T 0025 VERIFY carries 2..6 BCD bytes). */
export const PIN_MIN_DIGITS = 4;
export const PIN_MAX_DIGITS = 12;

/** GPCS 11.1.2 privilege byte 1, b3: Card Reset = implicitly selected after reset (the default card). */
export const PRIVILEGE_CARD_RESET = 0x04;

/**
 * tapcard's proprietary RID: F0 'T' 'A' 'P' 'C'. ISO/IEC 7816-5 reserves RIDs starting with F for
 * unregistered proprietary use, so nothing collides with a registered application.
 */
export const TAPCARD_RID = [0xf0, 0x54, 0x41, 0x50, 0x43];
/** T-Union transit application (JT/T 978 T-Union files). */
export const TUNION_AID = [0xa0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05];
