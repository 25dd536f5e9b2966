/**
 * The PBOC / JR/T 0025 e-purse MACs (JR/T 0025 e-purse security), both sides of them: the card computes MAC1
 * (load), checks MAC2 (load) and MAC1 (purchase), and computes MAC2 (purchase) and the TAC; the
 * issuer's load host and the terminal's PSAM compute the same values with this class, so card and
 * terminal cannot drift apart.
 *
 *   SESLK = 3DES(DLK, random(4) | onlineCounter(2) | 80 00)
 *   SESPK = 3DES(DPK, random(4) | offlineCounter(2) | termTxSerial[2..4))
 *   load MAC1     = MAC(SESLK, oldBalance(4) | amount(4) | type(1) | terminalId(6))
 *   load MAC2     = MAC(SESLK, amount(4) | type(1) | terminalId(6) | date(4) | time(3))
 *   purchase MAC1 = MAC(SESPK, amount(4) | type(1) | terminalId(6) | date(4) | time(3))
 *   purchase MAC2 = MAC(SESPK, amount(4))
 *   load TAC      = MAC(DTKL xor DTKR, newBalance(4) | onlineCounter(2) | amount(4) | type(1) | terminalId(6) | date | time)
 *   purchase TAC  = MAC(DTKL xor DTKR, amount(4) | type(1) | terminalId(6) | termTxSerial(4) | date | time)
 * MAC = single-DES CBC-MAC, ICV 0, 80-padding, leftmost 4 bytes (crypto/pboc.ts). The load TAC
 * layout is from memory of JR/T 0025, not a retrieved source (docs/standards.md says so too).
 */
import { shr } from '../../bits';
import { writeU16, writeU31 } from '../../bytes';
import { PBOC_SESSION_KEY_LEN, PbocCrypto } from '../../crypto/pboc';

export const TERMINAL_ID_LEN = 6;
/** date(4) | time(3), BCD: YYYYMMDD hhmmss. */
export const DATE_TIME_LEN = 7;
export const RANDOM_LEN = 4;
export const TERMINAL_SERIAL_LEN = 4;
export const MAC_LEN = 4;

/**
 * What every purse MAC after the session key covers: the card's PurseSession has these fields, a
 * terminal or issuer passes its transaction. One argument instead of three or four: on Espruino
 * each parameter of a method costs a JsVar for as long as the method is defined.
 */
export interface PurseMacFields {
  amount: number;
  txType: number;
  /** TERMINAL_ID_LEN bytes at 0. */
  terminalId: Uint8Array;
}

/**
 * Copies and wipes go through the views' own set and fill (native on Espruino; the portable
 * core's Uint8Array subset has both), not the byte helpers, which add a call each on the tap.
 * The MAC data is written straight into PbocCrypto's message buffer, which mac() and tac() then
 * pad in place (no copy); the purchase's fields are written byte by byte (writeU31 costs Espruino
 * a call and a scope).
 */
export class PurseCrypto {
  private readonly pboc: PbocCrypto;
  private readonly sessionKey = new Uint8Array(PBOC_SESSION_KEY_LEN);
  private readonly input = new Uint8Array(8);
  /** pboc.message: the MAC data, at most the load TAC's 4+2+4+1+6+7 bytes, and its padding. */
  private readonly msg: Uint8Array;
  /**
   * False once clear() has wiped everything and nothing has been keyed or written since: a tap
   * ends the purse's session three times (SELECT, INITIALIZE, the end of DEBIT), and only the
   * last has anything to wipe.
   */
  private dirty = true;

  constructor(pboc: PbocCrypto) {
    this.pboc = pboc;
    this.msg = pboc.message;
  }

  /** SESLK from the 16-byte DLK at dlk[0]. */
  startLoad(dlk: Uint8Array, random: Uint8Array, rOff: number, onlineCounter: number): void {
    this.dirty = true;
    this.input.set(random.subarray(rOff, rOff + RANDOM_LEN), 0);
    writeU16(this.input, 4, onlineCounter);
    this.input[6] = 0x80;
    this.input[7] = 0x00;
    this.pboc.sessionKey(dlk, this.input, this.sessionKey);
  }

  /** SESPK from the 16-byte DPK at dpk[0]; termSerial[sOff..] is the 4-byte terminal transaction serial. */
  startPurchase(dpk: Uint8Array, random: Uint8Array, rOff: number, offlineCounter: number, termSerial: Uint8Array, sOff: number): void {
    this.dirty = true;
    const i = this.input;
    i[0] = random[rOff];
    i[1] = random[rOff + 1];
    i[2] = random[rOff + 2];
    i[3] = random[rOff + 3];
    i[4] = shr(offlineCounter, 8) & 0xff;
    i[5] = offlineCounter & 0xff;
    i[6] = termSerial[sOff + 2];
    i[7] = termSerial[sOff + 3];
    this.pboc.sessionKey(dpk, i, this.sessionKey);
  }

  loadMac1(tx: PurseMacFields, oldBalance: number, out: Uint8Array, outOff: number): void {
    this.dirty = true;
    const m = this.msg;
    writeU31(m, 0, oldBalance);
    writeU31(m, 4, tx.amount);
    m[8] = tx.txType;
    m.set(tx.terminalId.subarray(0, TERMINAL_ID_LEN), 9);
    this.pboc.mac(this.sessionKey, m, 15, out, outOff);
  }

  /** Load MAC2 and purchase MAC1 cover the same fields: amount | type | terminal id | date | time. Into out[0..4). */
  transactionMac(tx: PurseMacFields, dateTime: Uint8Array, dOff: number, out: Uint8Array): void {
    this.dirty = true;
    const m = this.msg;
    const a = tx.amount;
    m[0] = shr(a, 24) & 0x7f;
    m[1] = shr(a, 16) & 0xff;
    m[2] = shr(a, 8) & 0xff;
    m[3] = a & 0xff;
    m[4] = tx.txType;
    m.set(tx.terminalId.subarray(0, TERMINAL_ID_LEN), 5);
    m.set(dateTime.subarray(dOff, dOff + DATE_TIME_LEN), 11);
    this.pboc.mac(this.sessionKey, m, 18, out, 0);
  }

  purchaseMac2(amount: number, out: Uint8Array, outOff: number): void {
    this.dirty = true;
    const m = this.msg;
    m[0] = shr(amount, 24) & 0x7f;
    m[1] = shr(amount, 16) & 0xff;
    m[2] = shr(amount, 8) & 0xff;
    m[3] = amount & 0xff;
    this.pboc.mac(this.sessionKey, m, 4, out, outOff);
  }

  /** The load TAC under the 16-byte DTK at dtk[0], into out[0..4). */
  loadTac(dtk: Uint8Array, tx: PurseMacFields, newBalance: number, onlineCounter: number, dateTime: Uint8Array, dOff: number, out: Uint8Array): void {
    this.dirty = true;
    const m = this.msg;
    writeU31(m, 0, newBalance);
    writeU16(m, 4, onlineCounter);
    writeU31(m, 6, tx.amount);
    m[10] = tx.txType;
    m.set(tx.terminalId.subarray(0, TERMINAL_ID_LEN), 11);
    m.set(dateTime.subarray(dOff, dOff + DATE_TIME_LEN), 17);
    this.tac(dtk, 24, out);
  }

  /** The purchase TAC under the 16-byte DTK at dtk[0], into out[0..4). */
  purchaseTac(dtk: Uint8Array, tx: PurseMacFields, termSerial: Uint8Array, sOff: number, dateTime: Uint8Array, dOff: number, out: Uint8Array): void {
    this.dirty = true;
    const m = this.msg;
    const a = tx.amount;
    m[0] = shr(a, 24) & 0x7f;
    m[1] = shr(a, 16) & 0xff;
    m[2] = shr(a, 8) & 0xff;
    m[3] = a & 0xff;
    m[4] = tx.txType;
    m.set(tx.terminalId.subarray(0, TERMINAL_ID_LEN), 5);
    m.set(termSerial.subarray(sOff, sOff + TERMINAL_SERIAL_LEN), 11);
    m.set(dateTime.subarray(dOff, dOff + DATE_TIME_LEN), 15);
    this.tac(dtk, 22, out);
  }

  /** Forgets the session key, its schedule and scratch (end of a transaction, deselect). */
  clear(): void {
    if (!this.dirty) return;
    this.pboc.endSession();
    this.sessionKey.fill(0, 0, PBOC_SESSION_KEY_LEN);
    this.input.fill(0, 0, 8);
    this.msg.fill(0, 0, this.msg.length);
    this.dirty = false;
  }

  /** The TAC data is no secret: clear() wipes it with the rest at the end of the transaction. */
  private tac(dtk: Uint8Array, len: number, out: Uint8Array): void {
    this.pboc.tac(dtk, this.msg, len, out);
  }
}
