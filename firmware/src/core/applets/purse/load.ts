/**
 * INITIALIZE FOR LOAD and CREDIT FOR LOAD (JR/T 0025).
 *
 *   80 50 00 P2 0B  keyIndex(1) | amount(4) | terminalId(6)              Le 10
 *     -> balance(4) | onlineCounter(2) | keyVersion(1) | algId(1) | random(4) | MAC1(4)
 *   80 52 00 00 0B  date(4) | time(3) | MAC2(4)                          Le 04
 *     -> TAC(4)
 * CREDIT checks MAC2 with the session key of INITIALIZE, then balance + amount, online counter + 1,
 * the log record, the GET TRANSACTION PROVE data and the card-manager record go to flash in one
 * commit. Any failure leaves the purse as it was.
 */
import { shr } from '../../bits';
import { copy, equalCt, fill, readU31, writeU16, writeU31 } from '../../bytes';
import type { CommandApdu } from '../../apdu';
import { KEY_TYPE_LOAD, KEY_TYPE_TAC } from '../../package/format';
import type { ApduResponse } from '../../se/applet';
import { SW } from '../../sw';
import { DATE_TIME_LEN, MAC_LEN, RANDOM_LEN, TERMINAL_ID_LEN } from './purse-crypto';
import type { PurseCard } from './purse-card';
import {
  CFG_CEILING,
  LOG_AMOUNT,
  LOG_COUNTER,
  LOG_DATE_TIME,
  LOG_OVERDRAFT,
  LOG_TERMINAL,
  LOG_TYPE,
  PURSE_LEN,
  P_BALANCE,
  P_ONLINE,
  ST_PROVE_COUNTER,
  ST_PROVE_MAC,
  ST_PROVE_TAC,
  ST_PROVE_TYPE,
} from './records';

export const INITIALIZE_DATA_LEN = 11;
export const CREDIT_DATA_LEN = 11;
const LOAD_RESPONSE_LEN = 16;
const MAX_COUNTER = 0xffff;

/** Checks shared by both INITIALIZE commands; returns the purse index or -SW. */
export function checkInitialize(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  card.endSession();
  if (cmd.lc !== INITIALIZE_DATA_LEN) return -SW.ERR_CHECKING_WRONG_LENGTH;
  const purse = card.purseOf(cmd.p2);
  if (purse < 0) return -SW.ERR_WRONG_P1P2;
  if (card.store.macTriesLeft() === 0) return -SW.PURSE_APPLICATION_LOCKED;
  // amount: 1 .. 2^31-1 fen (readU31 gives -1 for a set top bit)
  if (readU31(cmd.buf, cmd.dataOff + 1) <= 0) return -SW.ERR_WRONG_DATA;
  return purse;
}

/**
 * Copies keyIndex, amount and terminal id from INITIALIZE data into the session, and where the
 * findKey() just before found the keys (CREDIT and DEBIT take them from there).
 */
export function startSession(card: PurseCard, purse: number, txType: number, balance: number, counter: number): void {
  const s = card.session;
  s.keyAt = card.store.keyAt;
  s.tacAt = card.store.alsoAt;
  const cmd = card.cmd as CommandApdu;
  const b = cmd.buf;
  const d = cmd.dataOff;
  s.purse = purse;
  s.keyIndex = b[d];
  s.amount = readU31(b, d + 1);
  s.held = true;
  copy(b, d + 5, s.terminalId, 0, TERMINAL_ID_LEN);
  s.txType = txType;
  s.balance = balance;
  s.counter = counter;
  card.ctx.services.random.fill(s.random, 0, RANDOM_LEN);
}

export function initializeForLoad(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  const purse = checkInitialize(card);
  if (purse < 0) return -purse;
  const st = card.store;
  const keyIndex = cmd.buf[cmd.dataOff];
  const amount = readU31(cmd.buf, cmd.dataOff + 1);
  const balance = st.balance(purse);
  const counter = st.onlineCounter(purse);
  if (amount > readU31(st.config, CFG_CEILING) - balance) return SW.ERR_WRONG_DATA; // balance ceiling
  if (counter >= MAX_COUNTER) return SW.PURSE_COUNTER_AT_MAX;
  if (!st.findKey(KEY_TYPE_LOAD, KEY_TYPE_TAC, keyIndex)) return SW.PURSE_KEY_INDEX_NOT_SUPPORTED;
  startSession(card, purse, card.txType(purse, true), balance, counter);
  const s = card.session;
  const r = rsp.buf;
  writeU31(r, 0, balance);
  writeU16(r, 4, counter);
  r[6] = st.keyVersion;
  r[7] = st.keyAlgorithm;
  copy(s.random, 0, r, 8, RANDOM_LEN);
  card.crypto.startLoad(st.key, s.random, 0, counter);
  st.wipeKey();
  card.crypto.loadMac1(s, balance, r, 12);
  rsp.len = LOAD_RESPONSE_LEN;
  s.step('INITIALIZE_LOAD');
  return SW.OK;
}

export function creditForLoad(card: PurseCard): number {
  const s = card.session;
  if (!s.accepts('CREDIT')) return SW.ERR_CONDITIONS_NOT_SATISFIED;
  const sw = credit(card);
  if (sw === SW.OK) s.step('CREDIT');
  card.endSession();
  return sw;
}

function credit(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  if (cmd.lc !== CREDIT_DATA_LEN) return SW.ERR_CHECKING_WRONG_LENGTH;
  const s = card.session;
  const st = card.store;
  const b = cmd.buf;
  const dateTime = cmd.dataOff;
  const mac2 = dateTime + DATE_TIME_LEN;
  if (st.balance(s.purse) !== s.balance || st.onlineCounter(s.purse) !== s.counter) return SW.ERR_CONDITIONS_NOT_SATISFIED;
  let sw = st.spendMacTry();
  if (sw !== SW.OK) return sw;
  card.crypto.transactionMac(s, b, dateTime, card.expectedMac);
  const good = equalCt(card.expectedMac, 0, b, mac2, MAC_LEN);
  fill(card.expectedMac, 0, MAC_LEN, 0);
  if (!good) return SW.PURSE_MAC_INVALID;
  st.takeKey(s.tacAt); // INITIALIZE found it (findKey's alsoType)

  const newBalance = s.balance + s.amount;
  const n = st.next;
  st.stage();
  writeU31(n, s.purse * PURSE_LEN + P_BALANCE, newBalance);
  writeU16(n, s.purse * PURSE_LEN + P_ONLINE, s.counter + 1);
  card.crypto.loadTac(st.key, s, newBalance, s.counter, b, dateTime, rsp.buf);
  st.wipeKey();
  n[ST_PROVE_TYPE] = s.txType;
  writeU16(n, ST_PROVE_COUNTER, s.counter);
  copy(b, mac2, n, ST_PROVE_MAC, MAC_LEN);
  copy(rsp.buf, 0, n, ST_PROVE_TAC, MAC_LEN);
  writeLogEntry(card, b, dateTime);
  sw = st.commitTransaction();
  if (sw !== SW.OK) return sw;
  rsp.len = MAC_LEN;
  return SW.OK;
}

/** The session's transaction as the newest SFI 18 record (records.ts layout); no overdraft. */
export function writeLogEntry(card: PurseCard, dateTime: Uint8Array, dtOff: number): void {
  const s = card.session;
  const e = card.store.entry;
  // writeU16, fill and writeU31 written out: every debit and credit writes one (a call costs
  // Espruino a scope)
  const c = s.counter;
  const a = s.amount;
  e[LOG_COUNTER] = shr(c, 8) & 0xff;
  e[LOG_COUNTER + 1] = c & 0xff;
  e[LOG_OVERDRAFT] = 0;
  e[LOG_OVERDRAFT + 1] = 0;
  e[LOG_OVERDRAFT + 2] = 0;
  e[LOG_AMOUNT] = shr(a, 24) & 0x7f;
  e[LOG_AMOUNT + 1] = shr(a, 16) & 0xff;
  e[LOG_AMOUNT + 2] = shr(a, 8) & 0xff;
  e[LOG_AMOUNT + 3] = a & 0xff;
  e[LOG_TYPE] = s.txType;
  copy(s.terminalId, 0, e, LOG_TERMINAL, TERMINAL_ID_LEN);
  copy(dateTime, dtOff, e, LOG_DATE_TIME, DATE_TIME_LEN);
}
