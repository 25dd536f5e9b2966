/**
 * The transit / e-purse commands a POS sends (JR/T 0025; JT/T 978 T-Union files; the card side is
 * firmware/src/core/applets/purse), as pure builders and parsers: bytes in, fields out. Each parser
 * checks the length first and names what it expected.
 *
 *   SELECT                 00 A4 04 00 Lc AID 00        -> FCI 6F { 84 AID, A5 { 9F0C public info } }
 *   READ BINARY SFI 15     00 B0 95 00 1E               -> public information (30)
 *   GET BALANCE            80 5C 00 P2 04               -> balance (4)
 *   READ RECORD SFI 18     00 B2 n  C4 00               -> log record n, 1 = newest (23)
 *   INITIALIZE FOR LOAD    80 50 00 P2 0B keyIdx amount(4) terminalId(6) 10
 *     -> balance(4) onlineCounter(2) keyVersion(1) algId(1) random(4) MAC1(4)
 *   CREDIT FOR LOAD        80 52 00 00 0B date(4) time(3) MAC2(4) 04            -> TAC(4)
 *   INITIALIZE FOR PURCHASE 80 50 01 P2 0B keyIdx amount(4) terminalId(6) 0F
 *     -> balance(4) offlineCounter(2) overdraft(3) keyVersion(1) algId(1) random(4)
 *   DEBIT FOR PURCHASE     80 54 01 00 0F serial(4) date(4) time(3) MAC1(4) 08   -> TAC(4) MAC2(4)
 *   GET TRANSACTION PROVE  80 5A 00 type 02 counter(2) 08                       -> MAC(4) TAC(4)
 */
import { readU16, readU31, writeU16, writeU31 } from '../../../firmware/src/core/bytes';
import { decodeBcd } from '../../../firmware/src/core/package/bcd';
import { TUNION_AID } from '../../../firmware/src/core/package/format';
import { SFI_LOG, SFI_PUBLIC_INFO } from '../../../firmware/src/core/applets/purse/purse-files';
import {
  CLA_ISO, CLA_PROPRIETARY, INS_CREDIT_FOR_LOAD, INS_DEBIT_FOR_PURCHASE, INS_GET_BALANCE,
  INS_GET_TRANSACTION_PROVE, INS_INITIALIZE, INS_READ_BINARY, INS_READ_RECORD,
} from '../../../firmware/src/core/applets/purse/purse-applet';
import {
  LOG_AMOUNT, LOG_COUNTER, LOG_DATE_TIME, LOG_RECORD_LEN, LOG_TERMINAL, LOG_TYPE,
  PI_APP_TYPE, PI_APP_VERSION, PI_CARD_NUMBER, PI_ISSUER_DATA, PI_VALID_FROM, PI_VALID_TO, PUBLIC_INFO_LEN,
  TX_ED_LOAD, TX_ED_PURCHASE, TX_EP_LOAD, TX_EP_PURCHASE,
} from '../../../firmware/src/core/applets/purse/records';
import { DATE_TIME_LEN, MAC_LEN, RANDOM_LEN, TERMINAL_ID_LEN, TERMINAL_SERIAL_LEN } from '../../../firmware/src/core/applets/purse/purse-crypto';
import { CARD_NUMBER_LEN, DATE_LEN, ISSUER_DATA_LEN } from '../../../firmware/src/core/package/format';
import { TlvReader } from '../../../firmware/src/core/tlv';
import type { PurchaseProof } from '../../../contracts/purse-security-module';

/** The T-Union transit AID; the SE answers it by partial name for issuer-suffixed AIDs (package/aids.ts). */
export const TRANSIT_AID = Uint8Array.from(TUNION_AID);
/** GET BALANCE / INITIALIZE P2: 01 = ED (deposit), 02 = EP (purse). A transit card has the EP only. */
export const P2_ED = 0x01;
export const P2_EP = 0x02;
const INS_SELECT = 0xa4;
const P1_SELECT_BY_NAME = 0x04;
const P1_INITIALIZE_LOAD = 0x00;
const P1_INITIALIZE_PURCHASE = 0x01;
/** READ BINARY P1 b8 = 1: SFI in b5..b1 (ISO 7816-4 §11.2.3). READ RECORD P2 = SFI << 3 | 100 (§11.3.3). */
const P1_READ_BINARY_SFI = 0x80 | SFI_PUBLIC_INFO;
const P2_READ_RECORD_LOG = (SFI_LOG << 3) | 0x04;
const TAG_FCI = 0x6f;
const TAG_DF_NAME = 0x84;
const TAG_FCI_PROPRIETARY = 0xa5;
const TAG_ISSUER_DISCRETIONARY = 0x9f0c;
const BALANCE_LEN = 4;
const AMOUNT_LEN = 4;
const INITIALIZE_DATA_LEN = 1 + AMOUNT_LEN + TERMINAL_ID_LEN;
const INIT_LOAD_RESPONSE_LEN = 16;
const INIT_PURCHASE_RESPONSE_LEN = 15;
const CREDIT_DATA_LEN = DATE_TIME_LEN + MAC_LEN;
const DEBIT_DATA_LEN = TERMINAL_SERIAL_LEN + DATE_TIME_LEN + MAC_LEN;
/** Amounts travel as 4-byte unsigned fen; the card keeps them below 2^31 (readU31). */
export const MAX_AMOUNT = 0x7fffffff;

/** A response that does not have the shape the command promises (wrong length, bad TLV). */
export class PurseResponseError extends Error {
  readonly code = 'PURSE_RESPONSE';

  constructor(message: string) {
    super(message);
    this.name = 'PurseResponseError';
  }
}

function expectLength(what: string, data: Uint8Array, len: number): void {
  if (data.length !== len) throw new PurseResponseError(`${what}: expected ${len} bytes, got ${data.length}`);
}

function header(cla: number, ins: number, p1: number, p2: number, data: Uint8Array | null, le: number | null): Uint8Array {
  const lc = data === null ? 0 : data.length;
  const out = new Uint8Array(4 + (lc > 0 ? 1 + lc : 0) + (le === null ? 0 : 1));
  out[0] = cla;
  out[1] = ins;
  out[2] = p1;
  out[3] = p2;
  if (data !== null && lc > 0) {
    out[4] = lc;
    out.set(data, 5);
  }
  if (le !== null) out[out.length - 1] = le;
  return out;
}

function checkAmount(amount: number): void {
  if (!Number.isInteger(amount) || amount < 1 || amount > MAX_AMOUNT) throw new RangeError(`amount must be 1..${MAX_AMOUNT} fen, got ${amount}`);
}

function checkLen(what: string, b: Uint8Array, len: number): void {
  if (b.length !== len) throw new RangeError(`${what}: expected ${len} bytes, got ${b.length}`);
}

// --- SELECT and the public information ---

export function buildSelect(aid: Uint8Array): Uint8Array {
  if (aid.length < 5 || aid.length > 16) throw new RangeError(`AID must be 5..16 bytes (ISO 7816-5), got ${aid.length}`);
  return header(CLA_ISO, INS_SELECT, P1_SELECT_BY_NAME, 0x00, aid, 0x00);
}

export interface SelectedPurse {
  /** The full application AID (84), e.g. A00000063201010503E8 for issuer 1000. */
  aid: Uint8Array;
  /** The public information (9F0C), when the FCI carries it. */
  publicInfo: Uint8Array | null;
}

/** FCI: 6F { 84 AID, A5 { 9F0C public information } } (purse-applet.ts). */
export function parseSelectResponse(fci: Uint8Array): SelectedPurse {
  const outer = new TlvReader().reset(fci, 0, fci.length);
  if (!outer.next() || outer.tag !== TAG_FCI) throw new PurseResponseError('SELECT: the answer is not an FCI (6F)');
  const r = new TlvReader().reset(fci, outer.valueOff, outer.length);
  let aid: Uint8Array | null = null;
  let publicInfo: Uint8Array | null = null;
  while (r.next()) {
    if (r.tag === TAG_DF_NAME) aid = fci.slice(r.valueOff, r.valueOff + r.length);
    if (r.tag === TAG_FCI_PROPRIETARY) {
      const p = new TlvReader().reset(fci, r.valueOff, r.length);
      if (p.find(TAG_ISSUER_DISCRETIONARY) && p.length === PUBLIC_INFO_LEN) publicInfo = fci.slice(p.valueOff, p.valueOff + p.length);
    }
  }
  if (r.malformed || aid === null) throw new PurseResponseError('SELECT: the FCI has no DF name (84)');
  return { aid, publicInfo };
}

export function buildReadPublicInfo(): Uint8Array {
  return header(CLA_ISO, INS_READ_BINARY, P1_READ_BINARY_SFI, 0x00, null, PUBLIC_INFO_LEN);
}

export interface PublicInfo {
  issuerData: Uint8Array;
  appType: number;
  appVersion: number;
  /** 20 digits. */
  cardNumber: string;
  cardNumberBcd: Uint8Array;
  /** YYYY-MM-DD. */
  validFrom: string;
  validTo: string;
}

function bcdDate(b: Uint8Array, off: number): string {
  const d = decodeBcd(b, off, DATE_LEN);
  if (d === null || d.length !== 8) throw new PurseResponseError(`public information: date at ${off} is not BCD YYYYMMDD`);
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
}

/** SFI 15 (records.ts): issuer data(8) | type(1) | version(1) | card number(10) | from(4) | to(4) | RFU(2). */
export function parsePublicInfo(data: Uint8Array): PublicInfo {
  expectLength('READ BINARY SFI 15', data, PUBLIC_INFO_LEN);
  const cardNumber = decodeBcd(data, PI_CARD_NUMBER, CARD_NUMBER_LEN);
  if (cardNumber === null) throw new PurseResponseError('public information: card number is not BCD');
  return {
    issuerData: data.slice(PI_ISSUER_DATA, PI_ISSUER_DATA + ISSUER_DATA_LEN),
    appType: data[PI_APP_TYPE],
    appVersion: data[PI_APP_VERSION],
    cardNumber,
    cardNumberBcd: data.slice(PI_CARD_NUMBER, PI_CARD_NUMBER + CARD_NUMBER_LEN),
    validFrom: bcdDate(data, PI_VALID_FROM),
    validTo: bcdDate(data, PI_VALID_TO),
  };
}

// --- balance and log ---

export function buildGetBalance(p2: number): Uint8Array {
  return header(CLA_PROPRIETARY, INS_GET_BALANCE, 0x00, p2, null, BALANCE_LEN);
}

export function parseBalance(data: Uint8Array): number {
  expectLength('GET BALANCE', data, BALANCE_LEN);
  return readU31(data, 0);
}

export function buildReadLogRecord(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 1 || n > 0xfe) throw new RangeError(`record number must be 1..254, got ${n}`);
  return header(CLA_ISO, INS_READ_RECORD, n, P2_READ_RECORD_LOG, null, 0x00);
}

export type TransactionKind = 'load' | 'purchase' | 'unknown';

export interface LogRecord {
  counter: number;
  amount: number;
  type: number;
  kind: TransactionKind;
  terminalId: string;
  /** YYYY-MM-DD hh:mm:ss. */
  dateTime: string;
}

export function transactionKind(type: number): TransactionKind {
  if (type === TX_ED_LOAD || type === TX_EP_LOAD) return 'load';
  if (type === TX_ED_PURCHASE || type === TX_EP_PURCHASE) return 'purchase';
  return 'unknown';
}

function hexOf(b: Uint8Array, off: number, len: number): string {
  return Buffer.from(b.subarray(off, off + len)).toString('hex').toUpperCase();
}

/** SFI 18 (records.ts): counter(2) | overdraft(3) | amount(4) | type(1) | terminal(6) | date-time(7). */
export function parseLogRecord(data: Uint8Array): LogRecord {
  expectLength('READ RECORD SFI 18', data, LOG_RECORD_LEN);
  const dt = decodeBcd(data, LOG_DATE_TIME, DATE_TIME_LEN);
  if (dt === null || dt.length !== 14) throw new PurseResponseError('log record: date-time is not BCD');
  const amount = readU31(data, LOG_AMOUNT);
  if (amount < 0) throw new PurseResponseError('log record: amount over 2^31');
  return {
    counter: readU16(data, LOG_COUNTER),
    amount,
    type: data[LOG_TYPE],
    kind: transactionKind(data[LOG_TYPE]),
    terminalId: hexOf(data, LOG_TERMINAL, TERMINAL_ID_LEN),
    dateTime: `${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)} ${dt.slice(8, 10)}:${dt.slice(10, 12)}:${dt.slice(12, 14)}`,
  };
}

// --- load ---

function initializeData(keyIndex: number, amount: number, terminalId: Uint8Array): Uint8Array {
  checkAmount(amount);
  checkLen('terminal id', terminalId, TERMINAL_ID_LEN);
  const d = new Uint8Array(INITIALIZE_DATA_LEN);
  d[0] = keyIndex;
  writeU31(d, 1, amount);
  d.set(terminalId, 5);
  return d;
}

export function buildInitializeForLoad(p2: number, keyIndex: number, amount: number, terminalId: Uint8Array): Uint8Array {
  return header(CLA_PROPRIETARY, INS_INITIALIZE, P1_INITIALIZE_LOAD, p2, initializeData(keyIndex, amount, terminalId), INIT_LOAD_RESPONSE_LEN);
}

export interface InitializeForLoadResponse {
  balance: number;
  onlineCounter: number;
  keyVersion: number;
  algorithm: number;
  random: Uint8Array;
  mac1: Uint8Array;
}

export function parseInitializeForLoad(data: Uint8Array): InitializeForLoadResponse {
  expectLength('INITIALIZE FOR LOAD', data, INIT_LOAD_RESPONSE_LEN);
  return {
    balance: readU31(data, 0),
    onlineCounter: readU16(data, 4),
    keyVersion: data[6],
    algorithm: data[7],
    random: data.slice(8, 8 + RANDOM_LEN),
    mac1: data.slice(12, 12 + MAC_LEN),
  };
}

export function buildCreditForLoad(dateTime: Uint8Array, mac2: Uint8Array): Uint8Array {
  checkLen('date-time', dateTime, DATE_TIME_LEN);
  checkLen('MAC2', mac2, MAC_LEN);
  const d = new Uint8Array(CREDIT_DATA_LEN);
  d.set(dateTime, 0);
  d.set(mac2, DATE_TIME_LEN);
  return header(CLA_PROPRIETARY, INS_CREDIT_FOR_LOAD, 0x00, 0x00, d, MAC_LEN);
}

/** CREDIT FOR LOAD answers the TAC. */
export function parseCreditForLoad(data: Uint8Array): Uint8Array {
  expectLength('CREDIT FOR LOAD', data, MAC_LEN);
  return data.slice();
}

// --- purchase ---

export function buildInitializeForPurchase(p2: number, keyIndex: number, amount: number, terminalId: Uint8Array): Uint8Array {
  return header(CLA_PROPRIETARY, INS_INITIALIZE, P1_INITIALIZE_PURCHASE, p2, initializeData(keyIndex, amount, terminalId), INIT_PURCHASE_RESPONSE_LEN);
}

export interface InitializeForPurchaseResponse {
  balance: number;
  offlineCounter: number;
  overdraftLimit: number;
  keyVersion: number;
  algorithm: number;
  random: Uint8Array;
}

export function parseInitializeForPurchase(data: Uint8Array): InitializeForPurchaseResponse {
  expectLength('INITIALIZE FOR PURCHASE', data, INIT_PURCHASE_RESPONSE_LEN);
  return {
    balance: readU31(data, 0),
    offlineCounter: readU16(data, 4),
    overdraftLimit: (data[6] << 16) | (data[7] << 8) | data[8],
    keyVersion: data[9],
    algorithm: data[10],
    random: data.slice(11, 11 + RANDOM_LEN),
  };
}

export function buildDebitForPurchase(terminalSerial: Uint8Array, dateTime: Uint8Array, mac1: Uint8Array): Uint8Array {
  checkLen('terminal transaction serial', terminalSerial, TERMINAL_SERIAL_LEN);
  checkLen('date-time', dateTime, DATE_TIME_LEN);
  checkLen('MAC1', mac1, MAC_LEN);
  const d = new Uint8Array(DEBIT_DATA_LEN);
  d.set(terminalSerial, 0);
  d.set(dateTime, TERMINAL_SERIAL_LEN);
  d.set(mac1, TERMINAL_SERIAL_LEN + DATE_TIME_LEN);
  return header(CLA_PROPRIETARY, INS_DEBIT_FOR_PURCHASE, 0x01, 0x00, d, 2 * MAC_LEN);
}

export function parseDebitForPurchase(data: Uint8Array): PurchaseProof {
  expectLength('DEBIT FOR PURCHASE', data, 2 * MAC_LEN);
  return { tac: data.slice(0, MAC_LEN), mac2: data.slice(MAC_LEN) };
}

// --- recovery ---

export function buildGetTransactionProve(txType: number, counter: number): Uint8Array {
  const d = new Uint8Array(2);
  writeU16(d, 0, counter);
  return header(CLA_PROPRIETARY, INS_GET_TRANSACTION_PROVE, 0x00, txType, d, 2 * MAC_LEN);
}

/** MAC (the load's MAC2 or the purchase's MAC2) | TAC of the card's last transaction. */
export function parseGetTransactionProve(data: Uint8Array): { mac: Uint8Array; tac: Uint8Array } {
  expectLength('GET TRANSACTION PROVE', data, 2 * MAC_LEN);
  return { mac: data.slice(0, MAC_LEN), tac: data.slice(MAC_LEN) };
}
