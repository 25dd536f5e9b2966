/**
 * INITIALIZE FOR PURCHASE and DEBIT FOR PURCHASE (JR/T 0025).
 *
 *   80 50 01 P2 0B  keyIndex(1) | amount(4) | terminalId(6)                    Le 0F
 *     -> balance(4) | offlineCounter(2) | overdraftLimit(3) | keyVersion(1) | algId(1) | random(4)
 *   80 54 01 00 0F  termTxSerial(4) | date(4) | time(3) | MAC1(4)               Le 08
 *     -> TAC(4) | MAC2(4)
 * DEBIT derives SESPK (it needs the terminal serial), checks MAC1, then balance - amount, offline
 * counter + 1, log record, prove data and card-manager record go to flash in one commit.
 * tapcard's purses have no overdraft: the limit is always 000000.
 */
import { shr } from '../../bits';
import { copy, readU31 } from '../../bytes';
import type { CommandApdu } from '../../apdu';
import { KEY_TYPE_PURCHASE, KEY_TYPE_TAC } from '../../package/format';
import type { ApduResponse } from '../../se/applet';
import { SW } from '../../sw';
import { checkInitialize, startSession, writeLogEntry } from './load';
import { DATE_TIME_LEN, MAC_LEN, RANDOM_LEN, TERMINAL_SERIAL_LEN } from './purse-crypto';
import type { PurseCard } from './purse-card';
import { CFG_FLAGS, FLAG_PIN, PURSE_ED, PURSE_LEN, P_BALANCE, P_OFFLINE, ST_PROVE_COUNTER, ST_PROVE_MAC, ST_PROVE_TAC, ST_PROVE_TYPE } from './records';

export const DEBIT_DATA_LEN = 15;
const PURCHASE_RESPONSE_LEN = 15;
const MAX_COUNTER = 0xffff;

export function initializeForPurchase(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  const purse = checkInitialize(card);
  if (purse < 0) return -purse;
  const st = card.store;
  // JR/T 0025: an ED (deposit) purchase needs the cardholder's PIN first.
  if (purse === PURSE_ED && (st.config[CFG_FLAGS] & FLAG_PIN) !== 0 && !card.pinVerified) return SW.ERR_SECURITY_STATUS;
  const keyIndex = cmd.buf[cmd.dataOff];
  const balance = st.balance(purse);
  const counter = st.offlineCounter(purse);
  if (readU31(cmd.buf, cmd.dataOff + 1) > balance) return SW.PURSE_INSUFFICIENT_BALANCE;
  if (counter >= MAX_COUNTER) return SW.PURSE_COUNTER_AT_MAX;
  if (!st.findKey(KEY_TYPE_PURCHASE, KEY_TYPE_TAC, keyIndex)) return SW.PURSE_KEY_INDEX_NOT_SUPPORTED;
  startSession(card, purse, card.txType(purse, false), balance, counter);
  const s = card.session;
  const r = rsp.buf;
  // writeU31, writeU16 and fill written out (a call costs Espruino a scope)
  r[0] = shr(balance, 24) & 0x7f;
  r[1] = shr(balance, 16) & 0xff;
  r[2] = shr(balance, 8) & 0xff;
  r[3] = balance & 0xff;
  r[4] = shr(counter, 8) & 0xff;
  r[5] = counter & 0xff;
  r[6] = 0; // overdraft limit 000000
  r[7] = 0;
  r[8] = 0;
  r[9] = st.keyVersion;
  r[10] = st.keyAlgorithm;
  st.wipeKey();
  copy(s.random, 0, r, 11, RANDOM_LEN);
  rsp.len = PURCHASE_RESPONSE_LEN;
  s.step('INITIALIZE_PURCHASE');
  return SW.OK;
}

export function debitForPurchase(card: PurseCard): number {
  const s = card.session;
  if (!s.accepts('DEBIT')) return SW.ERR_CONDITIONS_NOT_SATISFIED;
  const sw = debit(card);
  if (sw === SW.OK) s.step('DEBIT');
  card.endSession();
  return sw;
}

function debit(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  if (cmd.lc !== DEBIT_DATA_LEN) return SW.ERR_CHECKING_WRONG_LENGTH;
  const s = card.session;
  const st = card.store;
  const b = cmd.buf;
  const serial = cmd.dataOff;
  const dateTime = serial + TERMINAL_SERIAL_LEN;
  const mac1 = dateTime + DATE_TIME_LEN;
  if (st.balance(s.purse) !== s.balance || st.offlineCounter(s.purse) !== s.counter) return SW.ERR_CONDITIONS_NOT_SATISFIED;
  // The keys INITIALIZE found (9403 there when the index has no purchase or TAC key), taken
  // without a search: KEYS never changes under a session
  st.takeKey(s.keyAt);
  card.crypto.startPurchase(st.key, s.random, 0, s.counter, b, serial);
  st.wipeKey();
  let sw = st.spendMacTry();
  if (sw !== SW.OK) return sw;
  const x = card.expectedMac;
  card.crypto.transactionMac(s, b, dateTime, x);
  // equalCt written out (its loop costs Espruino ~8 units a byte): every byte compared, no early exit
  const good = ((x[0] ^ b[mac1]) | (x[1] ^ b[mac1 + 1]) | (x[2] ^ b[mac1 + 2]) | (x[3] ^ b[mac1 + 3])) === 0;
  x.fill(0, 0, MAC_LEN);
  if (!good) return SW.PURSE_MAC_INVALID;
  st.takeKey(s.tacAt);

  const n = st.next;
  st.stage();
  // writeU31 and writeU16 written out (a call costs Espruino a scope)
  const at = s.purse * PURSE_LEN;
  const balance = s.balance - s.amount;
  const counter = s.counter + 1;
  n[at + P_BALANCE] = shr(balance, 24) & 0x7f;
  n[at + P_BALANCE + 1] = shr(balance, 16) & 0xff;
  n[at + P_BALANCE + 2] = shr(balance, 8) & 0xff;
  n[at + P_BALANCE + 3] = balance & 0xff;
  n[at + P_OFFLINE] = shr(counter, 8) & 0xff;
  n[at + P_OFFLINE + 1] = counter & 0xff;
  const r = rsp.buf;
  card.crypto.purchaseTac(st.key, s, b, serial, b, dateTime, r);
  st.wipeKey();
  card.crypto.purchaseMac2(s.amount, r, MAC_LEN);
  n[ST_PROVE_TYPE] = s.txType;
  n[ST_PROVE_COUNTER] = shr(s.counter, 8) & 0xff;
  n[ST_PROVE_COUNTER + 1] = s.counter & 0xff;
  // MAC2 and the TAC are response bytes 4..7 and 0..3
  n[ST_PROVE_MAC] = r[MAC_LEN];
  n[ST_PROVE_MAC + 1] = r[MAC_LEN + 1];
  n[ST_PROVE_MAC + 2] = r[MAC_LEN + 2];
  n[ST_PROVE_MAC + 3] = r[MAC_LEN + 3];
  n[ST_PROVE_TAC] = r[0];
  n[ST_PROVE_TAC + 1] = r[1];
  n[ST_PROVE_TAC + 2] = r[2];
  n[ST_PROVE_TAC + 3] = r[3];
  writeLogEntry(card, b, dateTime);
  sw = st.commitTransaction();
  if (sw !== SW.OK) return sw;
  rsp.len = 2 * MAC_LEN;
  return SW.OK;
}
