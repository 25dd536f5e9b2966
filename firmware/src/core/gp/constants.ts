/**
 * GlobalPlatform card content management constants (GP Card Spec v2.3.1 = GPCS; GPCS ch. 11),
 * named by role. The host-side builders and parsers in this folder use them; the card side may too.
 */

/** GPCS 11.1.4: ISO class (SELECT) and GP proprietary class; b3 marks GP secure messaging. */
export const CLA_ISO = 0x00;
export const CLA_GP = 0x80;
export const CLA_SECURE_MESSAGING_BIT = 0x04;

export const INS_SELECT = 0xa4;
export const INS_INITIALIZE_UPDATE = 0x50;
export const INS_EXTERNAL_AUTHENTICATE = 0x82;
export const INS_INSTALL = 0xe6;
export const INS_LOAD = 0xe8;
export const INS_DELETE = 0xe4;
export const INS_GET_STATUS = 0xf2;
export const INS_GET_DATA = 0xca;
export const INS_PUT_KEY = 0xd8;

/** SELECT by DF name, first occurrence (ISO 7816-4 §11.1.1). */
export const P1_SELECT_BY_NAME = 0x04;
export const P2_SELECT_FIRST = 0x00;

/** INSTALL P1 (GPCS Table 11-41). */
export const P1_INSTALL_FOR_LOAD = 0x02;
export const P1_INSTALL_FOR_INSTALL = 0x04;
export const P1_INSTALL_FOR_MAKE_SELECTABLE = 0x08;
export const P1_INSTALL_AND_MAKE_SELECTABLE = 0x0c;

/** LOAD P1 (GPCS Table 11-57): more blocks follow / last block. */
export const P1_MORE_BLOCKS = 0x00;
export const P1_LAST_BLOCK = 0x80;

/** DELETE P2 (GPCS Table 11-23): the object only / the object and its related objects. */
export const P2_DELETE_OBJECT = 0x00;
export const P2_DELETE_RELATED = 0x80;

/** GET STATUS P1 (GPCS Table 11-33): which part of the registry. */
export const P1_STATUS_ISD = 0x80;
export const P1_STATUS_APPS = 0x40;
export const P1_STATUS_LOAD_FILES = 0x20;
export const P1_STATUS_LOAD_FILES_AND_MODULES = 0x10;
/** GET STATUS P2 (GPCS Table 11-34): TLV format, first or next occurrence (after 6310). */
export const P2_STATUS_TLV_FIRST = 0x02;
export const P2_STATUS_TLV_NEXT = 0x03;

/** GET DATA P1P2 tags (GPCS 11.3.3). */
export const TAG_KEY_INFORMATION_TEMPLATE = 0x00e0;
export const TAG_CARD_DATA = 0x0066;

/** PUT KEY P2 (GPCS Table 11-66): b8 = several keys, b7..b1 = identifier of the first key. */
export const P2_PUT_KEY_MULTIPLE = 0x80;

/** Registry and FCI tags (GPCS Tables 11-36/37, 11-49). */
export const TAG_AID = 0x4f;
export const TAG_REGISTRY_ENTRY = 0xe3;
export const TAG_LIFE_CYCLE = 0x9f70;
export const TAG_PRIVILEGES = 0xc5;
export const TAG_IMPLICIT_SELECTION = 0xcf;
export const TAG_ELF_AID = 0xc4;
export const TAG_ELF_VERSION = 0xce;
export const TAG_MODULE_AID = 0x84;
export const TAG_ASSOCIATED_SD = 0xcc;
export const TAG_FCI = 0x6f;
export const TAG_DF_NAME = 0x84;
export const TAG_FCI_PROPRIETARY = 0xa5;
export const TAG_MAX_COMMAND_DATA = 0x9f65;
export const TAG_APPLICATION_PARAMS = 0xc9;
export const TAG_LOAD_FILE_DATA_BLOCK = 0xc4;
export const TAG_DAP_BLOCK = 0xe2;
export const TAG_KEY_INFORMATION = 0xc0;

/** Key type of an AES key in PUT KEY and the key information template (GPCS Table 11-16). */
export const KEY_TYPE_AES = 0x88;

/** AID length limits (ISO 7816-4 §8.2.1.2; GPCS Table 11-42). */
export const AID_MIN_LEN = 5;
export const AID_MAX_LEN = 16;

/** GPCS H.1.3: the default ISD AID (hex; tools convert it once with fromHex). */
export const DEFAULT_ISD_AID_HEX = 'A000000151000000';

/** Short APDU limits (ISO 7816-4 §5.1): at most 255 data bytes per command. */
export const SHORT_LC_MAX = 255;
/** CLA INS P1 P2 Lc. */
export const SHORT_HEADER_LEN = 5;
