/**
 * Card managers: the service information of each smart card (seed: "the card manager records the
 * card's service information"). One record per slot, written in the same store transaction as
 * the change it describes (install, purse credit/debit, points), so it never disagrees with the
 * card.
 *
 *   0  appClass(1) | 1 aidLen(1) | 2 aid(16) | 18 issuerId(2) | 20 cardNumber(10, BCD)
 *   30 balance(4, 31-bit: fen or points) | 34 lastType(1) | 35 lastAmount(4) | 39 lastCounter(2)
 *   41 lastDateTime(7, BCD YYYYMMDDhhmmss) | 48 packageVersion(2) | 50 status(1)
 */
import { copy, fill, readU31, writeU16, writeU31 } from '../bytes';
import type { Store } from '../store/store';
import { MAX_AID_LEN, REC_CARD_MANAGER } from './records';

export const CM_APP_CLASS = 0;
export const CM_AID_LEN = 1;
export const CM_AID = 2;
export const CM_ISSUER = 18;
export const CM_CARD_NUMBER = 20;
export const CM_BALANCE = 30;
export const CM_LAST_TYPE = 34;
export const CM_LAST_AMOUNT = 35;
export const CM_LAST_COUNTER = 39;
export const CM_LAST_DATETIME = 41;
export const CM_VERSION = 48;
export const CM_STATUS = 50;
export const CM_RECORD_LEN = 51;
export const CARD_NUMBER_LEN = 10;
export const DATETIME_LEN = 7;

export const CM_STATUS_ACTIVE = 0;
export const CM_STATUS_LOCKED = 1;

export class CardManager {
  private readonly store: Store;
  /** Staging record: callers fill it through the setters, then stage() writes it. */
  readonly record = new Uint8Array(CM_RECORD_LEN);
  /**
   * The slot whose committed record `record` holds as staged, -1 when none: set by committed()
   * after the caller's commit, taken (and cleared) by the next load() of that slot, so a purse's
   * debit does not read back from flash what its previous one wrote.
   */
  private heldSlot = -1;

  constructor(store: Store) {
    this.store = store;
  }

  /** Loads the slot's committed record into `record`; false if the slot has none. */
  load(slot: number): boolean {
    if (this.heldSlot === slot) {
      this.heldSlot = -1; // the caller changes `record` next
      return true;
    }
    this.heldSlot = -1;
    return this.store.get(REC_CARD_MANAGER, slot, this.record, 0) === CM_RECORD_LEN;
  }

  /**
   * The caller's transaction, in which it staged `record` for the slot (stage()), has committed:
   * `record` is that slot's committed record until the next load(), init() or stage().
   */
  committed(slot: number): void {
    this.heldSlot = slot;
  }

  /** Forgets the record held by committed() (at boot: the store was mounted again). */
  forget(): void {
    this.heldSlot = -1;
  }

  /** Starts a fresh record for a newly installed card. */
  init(appClass: number, aid: Uint8Array, aidOff: number, aidLen: number, version: number): void {
    this.heldSlot = -1;
    fill(this.record, 0, CM_RECORD_LEN, 0);
    this.record[CM_APP_CLASS] = appClass;
    this.record[CM_AID_LEN] = aidLen;
    copy(aid, aidOff, this.record, CM_AID, aidLen > MAX_AID_LEN ? MAX_AID_LEN : aidLen);
    writeU16(this.record, CM_VERSION, version);
  }

  setIdentity(issuerId: number, cardNumber: Uint8Array, off: number): void {
    writeU16(this.record, CM_ISSUER, issuerId);
    copy(cardNumber, off, this.record, CM_CARD_NUMBER, CARD_NUMBER_LEN);
  }

  setBalance(balance: number): void {
    writeU31(this.record, CM_BALANCE, balance);
  }

  /** Last transaction: type (PBOC transaction type or loyalty op), amount, card counter, BCD date-time. */
  setLastTransaction(type: number, amount: number, counter: number, dateTime: Uint8Array, dtOff: number): void {
    this.record[CM_LAST_TYPE] = type;
    writeU31(this.record, CM_LAST_AMOUNT, amount);
    writeU16(this.record, CM_LAST_COUNTER, counter);
    copy(dateTime, dtOff, this.record, CM_LAST_DATETIME, DATETIME_LEN);
  }

  setStatus(status: number): void {
    this.record[CM_STATUS] = status;
  }

  balance(): number {
    return readU31(this.record, CM_BALANCE);
  }

  /** Writes `record` for the slot into the caller's open transaction; false when the store is full. */
  stage(slot: number): boolean {
    this.heldSlot = -1;
    return this.store.put(REC_CARD_MANAGER, slot, this.record, 0, CM_RECORD_LEN);
  }

  /** Removes the slot's record inside the caller's open transaction. */
  unstage(slot: number): boolean {
    this.heldSlot = -1;
    return this.store.remove(REC_CARD_MANAGER, slot);
  }
}
