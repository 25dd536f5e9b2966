/**
 * A purse card's persistent state (records.ts) with a RAM copy of CONFIG and STATE. Changes are
 * staged in `next` and written by one store transaction with the log record and the card-manager
 * record, so after a power cut at any flash write the card holds the old or the new purse, never a
 * mix (store.ts guarantees the transaction is atomic). `state` follows only committed writes.
 */
import { shr } from '../../bits';
import { copy, fill, readU16, readU31, writeU31 } from '../../bytes';
import { KEY_AT_ALGORITHM, KEY_AT_INDEX, KEY_AT_TYPE, KEY_AT_VALUE, KEY_AT_VERSION, KEY_ENTRY_LEN, KEY_VALUE_LEN } from '../../package/format';
import type { Store } from '../../store/store';
import { SW } from '../../sw';
import type { AppletContext } from '../../se/applet';
import {
  CM_BALANCE,
  CM_LAST_AMOUNT,
  CM_LAST_COUNTER,
  CM_LAST_DATETIME,
  CM_LAST_TYPE,
  CM_STATUS,
  CM_STATUS_ACTIVE,
  CM_STATUS_LOCKED,
  DATETIME_LEN,
} from '../../se/card-manager';
import {
  CONFIG_LEN,
  LOG_AMOUNT,
  LOG_COUNTER,
  LOG_DATE_TIME,
  LOG_RECORDS,
  LOG_RECORD_LEN,
  LOG_TYPE,
  MAC_TALLY_LEN,
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
  REC_MAC_TALLY,
  REC_STATE,
  STATE_LEN,
  ST_LOG_COUNT,
  ST_LOG_HEAD,
  ST_MAC_TRIES,
  ST_PIN_TRIES,
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
  /** `key` may hold a key: findKey() found one and no wipeKey() has run since. */
  keyHeld = false;
  /**
   * Where in the KEYS record the last findKey() that returned true found its key (keyAt) and the
   * entry of `alsoType` (alsoAt): INITIALIZE keeps both in the session, and CREDIT or DEBIT takes
   * its keys from there (takeKey) instead of searching again. Nothing rewrites KEYS (`keys`).
   */
  keyAt = 0;
  alsoAt = 0;
  /**
   * The KEYS record, read by the first findKey and kept: install writes it and nothing rewrites it
   * (a reinstalled card is a new instance). Kept in RAM like the key schedules (docs/board.md
   * "Keys in RAM"): a tap then reads no key record from flash.
   */
  private readonly keys = new Uint8Array(MAX_KEY_ENTRIES * KEY_ENTRY_LEN);
  /** Bytes of `keys` read; -1 until the first findKey. */
  private keysLen = -1;
  /**
   * The last findKey() that found its keys, as type * 65536 + alsoType * 256 + index; -1: none.
   * KEYS never changes, so the same question finds the same entries (keyAt, alsoAt, keyVersion and
   * keyAlgorithm still hold them: only findKey sets them): every tap's INITIALIZE asks the same.
   */
  private lastFound = -1;
  private readonly ctx: AppletContext;
  private readonly store: Store;
  /** Bytes of the MAC try tally spent, as last read or spent; -1: the card has none yet (installed before tallies). */
  private macSpent = -1;

  constructor(ctx: AppletContext) {
    this.ctx = ctx;
    this.store = ctx.services.store;
  }

  /** Reads CONFIG and STATE; false when the card's records are missing (a damaged install). */
  load(): boolean {
    const t = this.ctx.dataType;
    this.macSpent = this.store.tallySpent(t, REC_MAC_TALLY);
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

  /** MAC tries left: those STATE counted at its last commit, less the tally bytes spent since; 0: locked after MAC_TRY_LIMIT bad MACs in a row (JR/T 0025 9303). */
  macTriesLeft(): number {
    const v = this.state[ST_MAC_TRIES];
    const left = this.macSpent < 0 ? v : (v & 3) - (this.macSpent - shr(v, 2));
    return left > 0 ? left : 0;
  }

  /**
   * Copies the key of this type and index into `key`; false (and `key` zeroed) when the card has
   * none (9403) or no key of type `alsoType` under that index (INITIALIZE needs the TAC key beside
   * the load or purchase key; `type` again when no other is needed): one pass over the key record.
   */
  findKey(type: number, alsoType: number, index: number): boolean {
    if (this.keyHeld) this.wipeKey(); // else `key` is zeros already: only takeKey and findKey fill it
    const query = type * 65536 + alsoType * 256 + index;
    if (query === this.lastFound) {
      this.takeKey(this.keyAt);
      return true;
    }
    this.lastFound = -1;
    if (this.keysLen < 0) this.keysLen = this.store.get(this.ctx.dataType, REC_KEYS, this.keys, 0);
    const n = this.keysLen;
    let found = false;
    let also = false;
    for (let at = 0; at + KEY_ENTRY_LEN <= n && !(found && also); at += KEY_ENTRY_LEN) {
      if (this.keys[at + KEY_AT_INDEX] !== index) continue;
      const t = this.keys[at + KEY_AT_TYPE];
      if (t === alsoType && !also) {
        this.alsoAt = at;
        also = true;
      }
      if (t === type && !found) {
        copy(this.keys, at + KEY_AT_VALUE, this.key, 0, KEY_VALUE_LEN);
        this.keyHeld = true;
        this.keyVersion = this.keys[at + KEY_AT_VERSION];
        this.keyAlgorithm = this.keys[at + KEY_AT_ALGORITHM];
        this.keyAt = at;
        found = true;
      }
    }
    if (found && also) {
      this.lastFound = query;
      return true;
    }
    this.wipeKey();
    return false;
  }

  /**
   * Copies the key of the KEYS entry at `at` (a keyAt or alsoAt of an earlier findKey) into `key`,
   * without a search; keyVersion and keyAlgorithm are left as they are.
   */
  takeKey(at: number): void {
    copy(this.keys, at + KEY_AT_VALUE, this.key, 0, KEY_VALUE_LEN);
    this.keyHeld = true;
  }

  wipeKey(): void {
    fill(this.key, 0, KEY_VALUE_LEN, 0);
    this.keyHeld = false;
  }

  /** Starts staging from the committed state. */
  stage(): void {
    copy(this.state, 0, this.next, 0, STATE_LEN);
  }

  /**
   * Spends one MAC try on flash before the MAC is compared, so cutting the power after a wrong
   * guess cannot save the try (JR/T 0025). A try that leaves some is one byte of the MAC tally,
   * a single flash program (store.ts spendTally); the last one commits STATE with no tries left
   * and the card-manager record showing the card locked, together.
   */
  spendMacTry(): number {
    const left = this.macTriesLeft();
    if (left > 1 && this.macSpent >= 0) {
      // The store checks the byte macSpent names instead of counting the spent ones.
      const spent = this.store.spendTally(this.ctx.dataType, REC_MAC_TALLY, this.macSpent);
      if (spent >= 0) {
        this.macSpent = spent;
        return SW.OK;
      }
    }
    this.stage();
    this.next[ST_MAC_TRIES] = this.macTriesByte(left > 0 ? left - 1 : 0);
    return this.commitNext(-1, left <= 1 ? CM_STATUS_LOCKED : -1, false);
  }

  /** Spends one PIN try and commits it alone, before the PIN is compared (as spendMacTry). */
  spendPinTry(): number {
    this.stage();
    if (this.next[ST_PIN_TRIES] > 0) this.next[ST_PIN_TRIES] = this.next[ST_PIN_TRIES] - 1;
    return this.commitNext(-1, -1, false);
  }

  /** Commits `next` with no log record (a PIN try counter reset). */
  commitState(): number {
    return this.commitNext(-1, -1, false);
  }

  /**
   * Commits `next` (balances, counters, prove data, tries reset by the caller) with `entry` as the
   * newest log record and the card-manager record (total balance, last transaction, active).
   */
  commitTransaction(): number {
    const head = (this.state[ST_LOG_HEAD] + 1) % LOG_RECORDS;
    this.next[ST_LOG_HEAD] = head;
    this.next[ST_LOG_COUNT] = this.state[ST_LOG_COUNT] < LOG_RECORDS ? this.state[ST_LOG_COUNT] + 1 : LOG_RECORDS;
    // The tries are reset from where the tally stands; a fresh tally when it has too few bytes
    // left for a full set of tries (or the card has none yet), in this same commit.
    const renew = this.macSpent < 0 || this.macSpent + MAC_TRY_LIMIT > MAC_TALLY_LEN;
    this.next[ST_MAC_TRIES] = renew ? MAC_TRY_LIMIT : this.macTriesByte(MAC_TRY_LIMIT);
    return this.commitNext(head, CM_STATUS_ACTIVE, renew);
  }

  /** Copies log record n (1 = newest) to out[off..]; false when there is no such record. */
  readLog(n: number, out: Uint8Array, off: number): boolean {
    const count = this.state[ST_LOG_COUNT];
    if (n < 1 || n > count) return false;
    const at = (this.state[ST_LOG_HEAD] - (n - 1) + LOG_RECORDS) % LOG_RECORDS;
    return this.store.get(this.ctx.dataType, REC_LOG_BASE + at, out, off) === LOG_RECORD_LEN;
  }

  /** STATE's MAC tries byte: `tries` left counted from the tally as it stands (records.ts). */
  private macTriesByte(tries: number): number {
    return this.macSpent < 0 ? tries : this.macSpent * 4 + tries;
  }

  /**
   * logAt >= 0: also write `entry` as log record logAt. cmStatus >= 0: also update the card-manager
   * record. renewTally: also write a fresh MAC tally (STATE then counts from 0).
   */
  private commitNext(logAt: number, cmStatus: number, renewTally: boolean): number {
    const s = this.store;
    const t = this.ctx.dataType;
    s.begin();
    let ok = s.put(t, REC_STATE, this.next, 0, STATE_LEN);
    if (ok && logAt >= 0) ok = s.put(t, REC_LOG_BASE + logAt, this.entry, 0, LOG_RECORD_LEN);
    if (ok && cmStatus >= 0) ok = this.stageCardManager(logAt >= 0, cmStatus);
    if (ok && renewTally) ok = s.putTally(t, REC_MAC_TALLY, MAC_TALLY_LEN);
    if (!ok || !s.commit()) {
      s.abort();
      return SW.ERR_MEMORY_FAILURE;
    }
    copy(this.next, 0, this.state, 0, STATE_LEN);
    // the card manager's record as staged is now the committed one: the next debit need not read it
    if (cmStatus >= 0) this.ctx.services.cardManager.committed(this.ctx.slot);
    if (renewTally) this.macSpent = 0;
    return SW.OK;
  }

  /** The card manager shows the total of both purses and, after a transaction, that transaction. */
  private stageCardManager(withTransaction: boolean, status: number): boolean {
    const cm = this.ctx.services.cardManager;
    if (!cm.load(this.ctx.slot)) return false;
    const n = this.next;
    // What setBalance, setLastTransaction and setStatus write, written here: a debit stages the
    // record, and on Espruino each call costs a scope (five calls and their parameters)
    const r = cm.record;
    writeU31(r, CM_BALANCE, readU31(n, PURSE_ED * PURSE_LEN + P_BALANCE) + readU31(n, PURSE_EP * PURSE_LEN + P_BALANCE));
    const e = this.entry;
    if (withTransaction) {
      r[CM_LAST_TYPE] = e[LOG_TYPE];
      // the amount's four bytes as the log record holds them (both 31-bit big-endian)
      r[CM_LAST_AMOUNT] = e[LOG_AMOUNT];
      r[CM_LAST_AMOUNT + 1] = e[LOG_AMOUNT + 1];
      r[CM_LAST_AMOUNT + 2] = e[LOG_AMOUNT + 2];
      r[CM_LAST_AMOUNT + 3] = e[LOG_AMOUNT + 3];
      r[CM_LAST_COUNTER] = e[LOG_COUNTER];
      r[CM_LAST_COUNTER + 1] = e[LOG_COUNTER + 1];
      copy(e, LOG_DATE_TIME, r, CM_LAST_DATETIME, DATETIME_LEN);
    }
    r[CM_STATUS] = status;
    return cm.stage(this.ctx.slot);
  }
}
