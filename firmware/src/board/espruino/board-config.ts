/**
 * Wiring and timing of the ESP32 + PN532 board (docs/board.md "Wiring"). One place, so a board with
 * other pins changes one file.
 */

/** ESP32 default I2C pins (Espruino I2C1 on ESP32: any GPIO; these match most PN532 breakouts' docs). */
export const I2C_SDA_PIN = 'D21';
export const I2C_SCL_PIN = 'D22';
/** 400 kHz fast mode; the PN532 supports it (UM §6.2.4) and a 275-byte read then takes ~7 ms. */
export const I2C_BITRATE = 400000;
/** PN532 RSTPDN, driven low to hard-reset the chip when it stops answering. */
export const PN532_RESET_PIN = 'D4';

/** 7-bit I2C address of the PN532 (PN532 User Manual §6.2.4: 0x48 write / 0x49 read). */
export const PN532_I2C_ADDRESS = 0x24;

/** Storage file holding the provisioning bundle (written by `tapcard flash --provision`). */
export const PROVISIONING_FILE = 'tapcard.prov';
/** Prefix of the Storage files that back the flash HAL, one per 4 KB page ("tcf0", "tcf1", ...). */
export const FLASH_FILE_PREFIX = 'tcf';
/** Flash pages the store gets: 64 x 4 KB = 256 KB of Storage's 896 KB (docs/espruino.md "Storage"). */
export const FLASH_PAGE_COUNT = 64;
/** Storage file holding the DES round tables (des-table-file.ts), written at first boot. */
export const DES_TABLES_FILE = 'tapcard.des';

/** What a reader sees of the emulated card (TgInitAsTarget; ISO/IEC 7816-3 §8; PN532 User Manual §7.3.14). */
export const SENS_RES = [0x04, 0x00];
/** NFCID1t; the reader sees 08 || these 3 bytes. */
export const NFCID1T = [0x54, 0x43, 0x01];

/** Storage files holding the link counters, written one after the other (link-counters.ts). */
export const LINK_COUNTER_FILES = ['tapcard.cn0', 'tapcard.cn1'];
/** How long a request to the platform waits for its PoR. */
export const POR_TIMEOUT_MS = 30000;
/**
 * How long the platform may be silent while the board relays or awaits a job before the board
 * gives the job up (mcu-link.ts): well past the platform's own resends (10 s PoR timeout each).
 */
export const LINK_QUIET_SECONDS = 120;
