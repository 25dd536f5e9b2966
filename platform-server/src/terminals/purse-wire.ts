/**
 * Schemas of the terminal API's purse bodies (docs/terminal-api.md "Purse transactions"); the JSON
 * shapes and their codecs are contracts/purse-messages.ts, which the POS encodes with, so terminal and platform
 * agree by construction.
 */
import { PAYER_CODE_DIGITS } from '../issuers/payer-authorisation';
import type { Schema } from './validate';

const BYTE = { kind: 'int', min: 0, max: 0xff } as const;
/** Amounts and balances are 31-bit fen (docs/portable-core.md). */
const FEN = { kind: 'int', min: 0, max: 0x7fffffff } as const;
const COUNTER = { kind: 'int', min: 0, max: 0xffff } as const;
/** Idempotency keys and account ids. */
export const KEY_TEXT = { kind: 'text', max: 100, pattern: /^[A-Za-z0-9._:-]+$/ } as const;
export const PAYER_CODE = { kind: 'digits', length: PAYER_CODE_DIGITS } as const;

const COMMON: Schema = {
  cardNumber: { kind: 'digits', length: 20 },
  keyIndex: BYTE,
  keyVersion: BYTE,
  algorithm: BYTE,
  amount: { kind: 'int', min: 1, max: 0x7fffffff },
  txType: BYTE,
  terminalId: { kind: 'hex', bytes: 6 },
  random: { kind: 'hex', bytes: 4 },
  dateTime: { kind: 'hex', bytes: 7 },
};

export const PURCHASE_SCHEMA: Schema = { ...COMMON, offlineCounter: COUNTER, terminalSerial: { kind: 'hex', bytes: 4 } };
export const PURCHASE_CONFIRM_SCHEMA: Schema = { ...PURCHASE_SCHEMA, tac: { kind: 'hex', bytes: 4 }, mac2: { kind: 'hex', bytes: 4 } };
export const LOAD_SCHEMA: Schema = { ...COMMON, balance: FEN, onlineCounter: COUNTER };
export const LOAD_AUTHORISE_SCHEMA: Schema = {
  ...LOAD_SCHEMA,
  mac1: { kind: 'hex', bytes: 4 },
  orderId: { ...KEY_TEXT, optional: true },
  accountId: { ...KEY_TEXT, optional: true },
  /** With accountId: the account holder's payment code (issuers/payer-authorisation.ts). */
  payerCode: { ...PAYER_CODE, optional: true },
};
/** A fresh INITIALIZE FOR LOAD's MAC1, the card's proof that its online counter has not moved (load/release). */
export const LOAD_RELEASE_SCHEMA: Schema = { ...LOAD_SCHEMA, mac1: { kind: 'hex', bytes: 4 }, orderId: { ...KEY_TEXT, optional: true } };
export const LOAD_CONFIRM_SCHEMA: Schema = { ...LOAD_SCHEMA, tac: { kind: 'hex', bytes: 4 } };
