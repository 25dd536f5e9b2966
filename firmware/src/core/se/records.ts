/**
 * What the SE keeps in its store: record types and their byte layouts. Every record is one store
 * value (firmware/src/core/store); ids are 16-bit.
 *
 *   type                  id          value
 *   01 SE_STATE           0           lifeCycle(1) | seqCounter(3)
 *   02 KEY_SET            KVN         keyType(1)=88 | keyLen(1) | K-ENC | K-MAC | K-DEK
 *   03 ELF                elf index   see ELF layout below
 *   04 APP                slot        see APP layout below
 *   05 CARD_MANAGER       slot        card-manager.ts
 *   40+e ELF_CHUNK        chunk no.   ELF_CHUNK_LEN bytes of the Load File Data Block value
 *   80+s APP_DATA         applet's    the applet's own records, for the card in slot s
 */
export const REC_SE_STATE = 0x01;
export const REC_KEY_SET = 0x02;
export const REC_ELF = 0x03;
export const REC_APP = 0x04;
export const REC_CARD_MANAGER = 0x05;
export const REC_ELF_CHUNK_BASE = 0x40;
export const REC_APP_DATA_BASE = 0x80;

/** Executable load files the SE can hold at once. */
export const MAX_ELFS = 16;
/** Smart card slots: each holds one application instance (one virtual card). */
export const SLOT_COUNT = 4;
export const MAX_AID_LEN = 16;
export const MIN_AID_LEN = 5;
/**
 * Keys the SE's store index holds (8 bytes of RAM each): 256 cover its fixed records, four cards'
 * records and about 57 KB of load files in ELF chunks; a LOAD past that answers 6A84 (the store's
 * reserve() counts index entries).
 */
export const SE_STORE_KEYS = 256;
/** The SE's largest store value: an ELF chunk (ELF_CHUNK_LEN); every record buffer is sized to it. */
export const SE_STORE_MAX_VALUE = 240;
/** Load file data is stored in fixed chunks so any offset maps to one record (elf-reader.ts). */
export const ELF_CHUNK_LEN = 240;

/**
 * ELF record:
 *   0  aidLen(1) | 1 aid(16) | 17 version(2) | 19 dataLen(3) | 22 moduleAidLen(1) | 23 moduleAid(16)
 *   39 appClass(1)
 */
export const ELF_AID_LEN = 0;
export const ELF_AID = 1;
export const ELF_VERSION = 17;
export const ELF_DATA_LEN = 19;
export const ELF_MODULE_LEN = 22;
export const ELF_MODULE = 23;
export const ELF_APP_CLASS = 39;
export const ELF_RECORD_LEN = 40;

/**
 * APP record:
 *   0  aidLen(1) | 1 aid(16) | 17 elfIndex(1) | 18 privileges(3) | 21 lifeCycle(1) | 22 appClass(1)
 */
export const APP_AID_LEN = 0;
export const APP_AID = 1;
export const APP_ELF = 17;
export const APP_PRIVILEGES = 18;
export const APP_LIFE_CYCLE = 21;
export const APP_CLASS = 22;
export const APP_RECORD_LEN = 23;

/** SE_STATE record. */
export const STATE_LIFE_CYCLE = 0;
export const STATE_SEQ = 1;
export const STATE_RECORD_LEN = 4;

/** GPCS 11.1.1: life cycle states. */
export const LC_ELF_LOADED = 0x01;
export const LC_APP_SELECTABLE = 0x07;
export const LC_CARD_OP_READY = 0x01;
export const LC_CARD_SECURED = 0x0f;
