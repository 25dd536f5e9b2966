/**
 * PN532 commands used for ISO 14443-4 card emulation (PN532 User Manual §7), as PD
 * builders and response readers over caller-owned buffers. Each builder writes PD at `pd` and
 * returns its length; the caller frames it with encodeFrame (frame.ts).
 */
import { copy } from '../bytes';

export const CMD_GET_FIRMWARE_VERSION = 0x02;
export const CMD_SAM_CONFIGURATION = 0x14;
export const CMD_TG_INIT_AS_TARGET = 0x8c;
export const CMD_TG_GET_DATA = 0x86;
export const CMD_TG_SET_DATA = 0x8e;
/** Sends a part of a long response with the MI bit set; TgSetData sends the last part (UM §7.3.17). */
export const CMD_TG_SET_META_DATA = 0x94;

/** The response code is the command code + 1 (UM §6.2.1.1). */
export function responseCodeOf(command: number): number {
  return (command + 1) & 0xff;
}

/** SAMConfiguration Mode 01: normal mode, the SAM is not used (UM §7.2.10). */
export const SAM_MODE_NORMAL = 0x01;
/** Timeout field in units of 50 ms; only used in virtual-card mode, 0x14 as libnfc/Adafruit send. */
export const SAM_TIMEOUT_DEFAULT = 0x14;
/** IRQ pin driven by the PN532 (UM §7.2.10, P70_IRQ). */
export const SAM_USE_IRQ = 0x01;

/** TgInitAsTarget Mode bits (UM §7.3.14). */
export const TG_MODE_PASSIVE_ONLY = 0x01;
export const TG_MODE_DEP_ONLY = 0x02;
export const TG_MODE_PICC_ONLY = 0x04;

/** SEL_RES (SAK) 20: ISO/IEC 14443-4 compliant (libnfc SAK_ISO14443_4_COMPLIANT). */
export const SEL_RES_ISO14443_4 = 0x20;
/** NFCID1t is 3 bytes; the PN532 prepends 08, a random UID (UM §7.3.14). */
export const NFCID1T_LEN = 3;
/** ATS historical bytes the PN532 can carry in TgInitAsTarget (Tk, UM §7.3.14). */
export const HISTORICAL_MAX = 48;

/** Status byte of Tg.. and In.. responses (UM §7.1 table 4; libnfc pn53x-internal.h). */
export const STATUS_ERROR_MASK = 0x3f;
export const STATUS_MI = 0x40;
export const STATUS_NAD = 0x80;
export const STATUS_OK = 0x00;
export const STATUS_TIMEOUT = 0x01;
export const STATUS_RF_TIMEOUT = 0x0a;
export const STATUS_RF_PROTOCOL = 0x0b;
export const STATUS_INVALID_DEP_STATE = 0x25;
export const STATUS_NOT_ACCEPTABLE = 0x27;
/** The initiator (reader) released the target: the card left the field or was deselected. */
export const STATUS_RELEASED = 0x29;
export const STATUS_DISCARDED = 0x2b;

/** Most DataOut bytes one TgSetData/TgSetMetaData carries (UM §7.3.16: 262). */
export const DATA_OUT_MAX = 262;

/** PD of GetFirmwareVersion (UM §7.2.2): just the code. */
export function buildGetFirmwareVersion(out: Uint8Array, pd: number): number {
  out[pd] = CMD_GET_FIRMWARE_VERSION;
  return 1;
}

/** Reply PD: 03 IC Ver Rev Support (UM §7.2.2); IC is 0x32 for a PN532. */
export const FIRMWARE_VERSION_PD_LEN = 5;
export const IC_PN532 = 0x32;

/** PD of SAMConfiguration(mode, timeout, irq) (UM §7.2.10). */
export function buildSamConfiguration(out: Uint8Array, pd: number, mode: number, timeout: number, irq: number): number {
  out[pd] = CMD_SAM_CONFIGURATION;
  out[pd + 1] = mode & 0xff;
  out[pd + 2] = timeout & 0xff;
  out[pd + 3] = irq & 0xff;
  return 4;
}

/** What the PN532 presents to a reader in ISO 14443-4 PICC mode. */
export interface TargetParams {
  /** SENS_RES (ATQA), 2 bytes, e.g. 04 00. */
  sensRes: Uint8Array;
  /** 3 bytes; the UID the reader sees is 08 || nfcid1t. */
  nfcid1t: Uint8Array;
  /** ATS historical bytes (also the T1..Tk of the contactless ATR, ISO/IEC 7816-3 §8; PC/SC Part 3 §3.1.3.2.3). */
  historical: Uint8Array;
  historicalLength: number;
}

/**
 * PD of TgInitAsTarget in PICC-only mode (PN532 User Manual §7.3.14):
 *   8C Mode | SENS_RES(2) NFCID1t(3) SEL_RES | FeliCa params(18) | NFCID3t(10) | LenGt Gt | LenTk Tk
 * FeliCa, NFCID3t and Gt are zero/empty: only ISO 14443-4 type A is offered.
 * Returns the PD length, or -1 if the parameters do not fit (checked before writing).
 */
export function buildTgInitAsTarget(out: Uint8Array, pd: number, params: TargetParams): number {
  const hist = params.historicalLength;
  if (params.sensRes.length !== 2 || params.nfcid1t.length !== NFCID1T_LEN) return -1;
  if (hist < 0 || hist > HISTORICAL_MAX || hist > params.historical.length) return -1;
  const total = 1 + 1 + 6 + 18 + 10 + 1 + 1 + hist;
  if (pd + total > out.length) return -1;
  let p = pd;
  out[p++] = CMD_TG_INIT_AS_TARGET;
  out[p++] = TG_MODE_PASSIVE_ONLY | TG_MODE_PICC_ONLY;
  out[p++] = params.sensRes[0];
  out[p++] = params.sensRes[1];
  copy(params.nfcid1t, 0, out, p, NFCID1T_LEN);
  p += NFCID1T_LEN;
  out[p++] = SEL_RES_ISO14443_4;
  for (let i = 0; i < 28; i++) out[p++] = 0x00; // FeliCa params (18) + NFCID3t (10)
  out[p++] = 0x00; // LenGt
  out[p++] = hist;
  copy(params.historical, 0, out, p, hist);
  return p + hist - pd;
}

export function buildTgGetData(out: Uint8Array, pd: number): number {
  out[pd] = CMD_TG_GET_DATA;
  return 1;
}

/**
 * PD of TgSetData (last or only part) or TgSetMetaData (a part with more to follow) carrying
 * src[srcOff .. srcOff+len). Returns the PD length, or -1 if len is over DATA_OUT_MAX or out is short.
 */
export function buildTgSetData(out: Uint8Array, pd: number, more: boolean, src: Uint8Array, srcOff: number, len: number): number {
  if (len < 0 || len > DATA_OUT_MAX || pd + 1 + len > out.length) return -1;
  out[pd] = more ? CMD_TG_SET_META_DATA : CMD_TG_SET_DATA;
  copy(src, srcOff, out, pd + 1, len);
  return 1 + len;
}

/** The error field of a status byte (0 = success). */
export function statusError(status: number): number {
  return status & STATUS_ERROR_MASK;
}

export function statusHasMore(status: number): boolean {
  return (status & STATUS_MI) !== 0;
}
