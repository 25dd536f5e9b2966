/**
 * A purse card's persistent state (records.ts) with a RAM copy of CONFIG and STATE. Changes are
 * staged in `next` and written by one store transaction with the log record and the card-manager
 * record, so after a power cut at any flash write the card holds the old or the new purse, never a
 * mix (store.ts guarantees the transaction is atomic). `state` follows only committed writes.
 */
import { copy, fill, readU16, readU31 } from '../../bytes';
import { KEY_AT_ALGORITHM, KEY_AT_INDEX, KEY_AT_TYPE, KEY_AT_VALUE, KEY_AT_VERSION, KEY_ENTRY_LEN, KEY_VALUE_LEN } from '../../package/format';
import type { Store } from '../../store/store';
import { SW } from '../../sw';
import type { AppletContext } from '../../se/applet';
import { CM_STATUS_ACTIVE, CM_STATUS_LOCKED } from '../../se/card-manager';
import {
  CONFIG_LEN,
  LOG_AMOUNT,
  LOG_COUNTER,
  LOG_DATE_TIME,
  LOG_RECORDS,
  LOG_RECORD_LEN,
  LOG_TYPE,
  MAC_TRY_LIMIT,
  MAX_KEY_ENTRIES,
  PURSE_ED,
  PURSE_EP,
  PURSE_LEN,
  P_BALANCE,
  P_OFFLINE,
  P_ONLINE,
  REC_CONFIG,
  REC_KEYS,
  REC_LOG_BASE,
  REC_STATE,
  STATE_LEN,
  ST_LOG_COUNT,
  ST_LOG_HEAD,
  ST_MAC_TRIES,
} from './records';

export class PurseStore {
  readonly config = new Uint8Array(CONFIG_LEN);
  /** Committed STATE. */
  readonly state = new Uint8Array(STATE_LEN);
  /** STATE being staged for the next commit. */
  readonly next = new Uint8Array(STATE_LEN);
  /** The log record of the transaction being committed (the caller fills it). */
  readonly entry = new Uint8Array(LOG_RECORD_LEN);
  /** The key found by findKey(), until wipeKey(). */
  readonly key = new Uint8Array(KEY_VALUE_LEN);
  keyVersion = 0;
  keyAlgorithm = 0;
  private readonly keys = new Uint8Array(MAX_KEY_ENTRIES * KEY_ENTRY_LEN);
  private readonly ctx: AppletContext;
  private readonly store: Store;

  constructor(ctx: AppletContext) {
    this.ctx = ctx;
    this.store = ctx.services.store;
  }

  /** Reads CONFIG and STATE; false when the card's records are missing (a damaged install). */
  load(): boolean {
    const t = this.ctx.dataType;
    return this.store.get(t, REC_CONFIG, this.config, 0) === CONFIG_LEN && this.store.get(t, REC_STATE, this.state, 0) === STATE_LEN;
  }

  balance(purse: number): number {
    return readU31(this.state, purse * PURSE_LEN + P_BALANCE);
  }

  onlineCounter(purse: number): number {
    return readU16(this.state, purse * PURSE_LEN + P_ONLINE);
  }

  offlineCounter(purse: number): number {
    return readU16(this.state, purse * PURSE_LEN + P_OFFLINE);
  }

  /** Locked after MAC_TRY_LIMIT bad MACs in a row (JR/T 0025 9303). */
  locked(): boolean {
    return this.state[ST_MAC_TRIES] === 0;
  }

  /** Copies the key of this type and index into `key`; false (and `key` zeroed) when the card has none (9403). */
  findKey(type: number, index: number): boolean {
    return this.findKeyWith(type, type, index);
  }

  /**
   * findKey(type, index) when the card also holds a key of type `alsoType` under that index
   * (INITIALIZE needs the TAC key beside the load or purchase key): one read of the key record.
   */
  findKeyWith(type: number, alsoType: number, index: number): boolean {
    this.wipeKey();
    const n = this.store.get(this.ctx.dataType, REC_KEYS, this.keys, 0);
    let found = false;
    let also = false;
    for (let at = 0; at + KEY_ENTRY_LEN <= n && !(found && also); at += KEY_ENTRY_LEN) {
      if (this.keys[at + KEY_AT_INDEX] !== index) continue;
      const t = this.keys[at + KEY_AT_TYPE];
      if (t === alsoType) also = true;
      if (t === type && !found) {
        copy(this.keys, at + KEY_AT_VALUE, this.key, 0, KEY_VALUE_LEN);
        this.keyVersion = this.keys[at + KEY_AT_VERSION];
        this.keyAlgorithm = this.keys[at + KEY_AT_ALGORITHM];
        found = true;
      }
    }
    fill(this.keys, 0, this.keys.length, 0);
    if (found && also) return true;
    this.wipeKey();
    return false;
  }

  wipeKey(): void {
    fill(this.key, 0, KEY_VALUE_LEN, 0);
  }

  /** Starts staging from the committed state. */
  stage(): void {
    copy(this.state, 0, this.next, 0, STATE_LEN);
  }

  /**
   * Spends one try of the counter at STATE offset `at` and commits that alone, before the MAC or
   * PIN is compared, so cutting the power after a wrong guess cannot save the try. When the MAC
   * counter reaches 0 the card-manager record shows the card locked, in the same commit.
   */
  spendTry(at: number): number {
    this.stage();
    if (this.next[at] > 0) this.next[at] = this.next[at] - 1;
    const lock = at === ST_MAC_TRIES && this.next[at] === 0;
    return this.commitNext(-1, lock ? CM_STATUS_LOCKED : -1);
  }

  /** Commits `next` with no log record (a PIN try counter reset). */
  commitState(): number {
    return this.commitNext(-1, -1);
  }

  /**
   * Commits `next` (balances, counters, prove data, tries reset by the caller) with `entry` as the
   * newest log record and the card-manager record (total balance, last transaction, active).
   */
  commitTransaction(): number {
    const head = (this.state[ST_LOG_HEAD] + 1) % LOG_RECORDS;
    this.next[ST_LOG_HEAD] = head;
    this.next[ST_LOG_COUNT] = this.state[ST_LOG_COUNT] < LOG_RECORDS ? this.state[ST_LOG_COUNT] + 1 : LOG_RECORDS;
    this.next[ST_MAC_TRIES] = MAC_TRY_LIMIT;
    return this.commitNext(head, CM_STATUS_ACTIVE);
  }

  /** Copies log record n (1 = newest) to out[off..]; false when there is no such record. */
  readLog(n: number, out: Uint8Array, off: number): boolean {
    const count = this.state[ST_LOG_COUNT];
    if (n < 1 || n > count) return false;
    const at = (this.state[ST_LOG_HEAD] - (n - 1) + LOG_RECORDS) % LOG_RECORDS;
    return this.store.get(this.ctx.dataType, REC_LOG_BASE + at, out, off) === LOG_RECORD_LEN;
  }

  /** logAt >= 0: also write `entry` as log record logAt. cmStatus >= 0: also update the card-manager record. */
  private commitNext(logAt: number, cmStatus: number): number {
    const s = this.store;
    const t = this.ctx.dataType;
    s.begin();
    let ok = s.put(t, REC_STATE, this.next, 0, STATE_LEN);
    if (ok && logAt >= 0) ok = s.put(t, REC_LOG_BASE + logAt, this.entry, 0, LOG_RECORD_LEN);
    if (ok && cmStatus >= 0) ok = this.stageCardManager(logAt >= 0, cmStatus);
    if (!ok || !s.commit()) {
      s.abort();
      return SW.ERR_MEMORY_FAILURE;
    }
    copy(this.next, 0, this.state, 0, STATE_LEN);
    return SW.OK;
  }

  /** The card manager shows the total of both purses and, after a transaction, that transaction. */
  private stageCardManager(withTransaction: boolean, status: number): boolean {
    const cm = this.ctx.services.cardManager;
    if (!cm.load(this.ctx.slot)) return false;
    const n = this.next;
    cm.setBalance(readU31(n, PURSE_ED * PURSE_LEN + P_BALANCE) + readU31(n, PURSE_EP * PURSE_LEN + P_BALANCE));
    const e = this.entry;
    if (withTransaction) cm.setLastTransaction(e[LOG_TYPE], readU31(e, LOG_AMOUNT), readU16(e, LOG_COUNTER), e, LOG_DATE_TIME);
    cm.setStatus(status);
    return cm.stage(this.ctx.slot);
  }
}
