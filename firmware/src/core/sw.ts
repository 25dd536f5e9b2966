/**
 * Status words, the one place they are defined (ISO/IEC 7816-4 §5.6, GP Card Spec v2.3.1 tables
 * 11-10 et seq., JR/T 0025 / PBOC e-purse). Values are SW1SW2 as one 16-bit number.
 * Grouped by ISO category; names carry the category.
 */
import { shr } from './bits';

export const SW = {
  // 90xx normal processing
  OK: 0x9000,
  // 62xx/63xx warnings (no state change / state changed)
  WARN_CARD_LOCKED: 0x6283, // GPCS 11.9.5: SELECT of ISD while CARD_LOCKED
  WARN_AUTH_FAILED: 0x6300, // AmdD 7.2: host cryptogram verification failed
  WARN_MORE_DATA: 0x6310, // GPCS 11.4.3: GET STATUS, more data available
  // 64xx/65xx execution errors
  ERR_EXECUTION_NO_CHANGE: 0x6400,
  ERR_MEMORY_FAILURE: 0x6581,
  // 67xx..6Fxx checking errors
  ERR_CHECKING_WRONG_LENGTH: 0x6700,
  ERR_LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  ERR_SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  ERR_SECURITY_STATUS: 0x6982,
  ERR_AUTH_METHOD_BLOCKED: 0x6983,
  ERR_REFERENCE_DATA_UNUSABLE: 0x6984,
  ERR_CONDITIONS_NOT_SATISFIED: 0x6985,
  ERR_COMMAND_NOT_ALLOWED: 0x6986,
  ERR_SM_DATA_MISSING: 0x6987,
  ERR_SM_DATA_INCORRECT: 0x6988,
  ERR_WRONG_DATA: 0x6a80,
  ERR_FUNCTION_NOT_SUPPORTED: 0x6a81,
  ERR_FILE_NOT_FOUND: 0x6a82,
  ERR_RECORD_NOT_FOUND: 0x6a83,
  ERR_NOT_ENOUGH_MEMORY: 0x6a84,
  ERR_WRONG_P1P2: 0x6a86,
  ERR_REFERENCED_DATA_NOT_FOUND: 0x6a88,
  ERR_WRONG_P1P2_NO_INFO: 0x6b00,
  ERR_INS_NOT_SUPPORTED: 0x6d00,
  ERR_CLA_NOT_SUPPORTED: 0x6e00,
  ERR_NO_PRECISE_DIAGNOSIS: 0x6f00,
  // 93xx/94xx e-purse (JR/T 0025)
  PURSE_MAC_INVALID: 0x9302,
  PURSE_APPLICATION_LOCKED: 0x9303,
  PURSE_INSUFFICIENT_BALANCE: 0x9401,
  PURSE_COUNTER_AT_MAX: 0x9402,
  PURSE_KEY_INDEX_NOT_SUPPORTED: 0x9403,
  PURSE_MAC_UNAVAILABLE: 0x9406,
} as const;

/** Human text for each status word, with the table it comes from. */
export const SW_TEXT: { [sw: number]: string } = {
  0x9000: 'success',
  0x6283: 'card life cycle is CARD_LOCKED (GPCS 11.9.5)',
  0x6300: 'authentication failed: host cryptogram (GP AmdD 7.2)',
  0x6310: 'more data available (GPCS 11.4.3)',
  0x6400: 'execution error, state unchanged',
  0x6581: 'memory failure (GPCS 11.6.3)',
  0x6700: 'wrong length (ISO 7816-4)',
  0x6881: 'logical channel not supported',
  0x6882: 'secure messaging not supported',
  0x6982: 'security status not satisfied (ISO 7816-4, GPCS E.5)',
  0x6983: 'authentication method blocked',
  0x6984: 'reference data not usable',
  0x6985: 'conditions of use not satisfied',
  0x6986: 'command not allowed',
  0x6987: 'expected secure messaging data objects missing',
  0x6988: 'secure messaging data objects incorrect',
  0x6a80: 'incorrect values in command data',
  0x6a81: 'function not supported',
  0x6a82: 'application or file not found',
  0x6a83: 'record not found',
  0x6a84: 'not enough memory space',
  0x6a86: 'incorrect P1 P2',
  0x6a88: 'referenced data not found',
  0x6b00: 'wrong parameters P1 P2',
  0x6d00: 'instruction not supported',
  0x6e00: 'class not supported',
  0x6f00: 'no precise diagnosis',
  0x9302: 'MAC invalid (JR/T 0025)',
  0x9303: 'application permanently locked (JR/T 0025)',
  0x9401: 'insufficient balance (JR/T 0025)',
  0x9402: 'transaction counter at maximum (JR/T 0025)',
  0x9403: 'key index not supported (JR/T 0025)',
  0x9406: 'required MAC unavailable (JR/T 0025)',
};

/** 9000 and the warnings GP treats as success for secure messaging (AmdD 6.2.5: 62xx, 63xx). */
export function isSuccess(sw: number): boolean {
  const sw1 = shr(sw, 8) & 0xff;
  return sw === SW.OK || sw1 === 0x61 || sw1 === 0x62 || sw1 === 0x63;
}

export function swText(sw: number): string {
  const hex = ('000' + sw.toString(16)).slice(-4).toUpperCase();
  if (SW_TEXT[sw] !== undefined) return hex + ' ' + SW_TEXT[sw];
  if ((sw & 0xff00) === 0x6100) return hex + ' ' + (sw & 0xff) + ' more bytes available';
  if ((sw & 0xfff0) === 0x63c0) return hex + ' verification failed, ' + (sw & 0xf) + ' tries left';
  return hex + ' unknown status';
}
