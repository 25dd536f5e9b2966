/**
 * The RAM index of committed values: one 8-byte entry per live key, sorted by key, in one buffer
 * allocated at construction (no Map in the portable core; docs/portable-core.md).
 *
 *   entry:  0      1      3              6       8
 *           +------+------+--------------+-------+
 *           | type | id   | flash address| len   |
 *           +------+------+--------------+-------+
 *
 * The key is type * 65536 + id (24 bits); the address is the record's first byte on flash.
 */
import { shr } from '../bits';
import { copy, readU16, readU24, writeU16, writeU24 } from '../bytes';

const ENTRY_SIZE = 8;
const E_ADDR = 3;
const E_LEN = 6;
/**
 * find() remembers its last answers in this many slots (a power of two), by the key's low bits:
 * a byte each after the entries, which on Espruino fit the last block the entries' buffer has
 * anyway when it holds 256 keys (the SE's store: 2,048 bytes in 14- or 18-byte blocks).
 */
const RECENT_SLOTS = 4;

export function storeKey(type: number, id: number): number {
  return type * 65536 + id;
}

export class KeyIndex {
  readonly capacity: number;
  count = 0;
  /**
   * The entries (Log.applyPut reads and writes one in place), then the recent positions: where
   * find() last found a key of each slot (key & (RECENT_SLOTS - 1)), the position's low byte,
   * after the capacity's entries (in this buffer: on Espruino a buffer of its own costs ~4 JsVars
   * for as long as the store runs). A position is a guess that find() checks against the entry
   * before it trusts it, so entries that move (insertAt, removeAt, clear), and positions above
   * 255, cost a search and nothing else. A debit finds the same three or four keys (its purse
   * STATE, MAC tally and card-manager record) tap after tap; a check costs Espruino a few byte
   * reads where the binary search costs a loop pass a key bit.
   */
  readonly entries: Uint8Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.entries = new Uint8Array(capacity * ENTRY_SIZE + RECENT_SLOTS);
  }

  clear(): void {
    this.count = 0;
  }

  keyAt(i: number): number {
    return readU24(this.entries, i * ENTRY_SIZE);
  }

  addrAt(i: number): number {
    return readU24(this.entries, i * ENTRY_SIZE + E_ADDR);
  }

  lenAt(i: number): number {
    return readU16(this.entries, i * ENTRY_SIZE + E_LEN);
  }

  setAddr(i: number, addr: number): void {
    writeU24(this.entries, i * ENTRY_SIZE + E_ADDR, addr);
  }

  /** First position whose key is >= key (count when none). */
  lowerBound(key: number): number {
    const e = this.entries;
    let lo = 0;
    let hi = this.count;
    let at = 0;
    while (lo < hi) {
      const mid = shr(lo + hi, 1); // not Math.floor: a built-in costs Espruino a miss in the global scope
      at = mid * ENTRY_SIZE;
      // keyAt(mid) written out: every store look-up runs this loop, and a call costs Espruino a scope
      if (((e[at] << 16) | (e[at + 1] << 8) | e[at + 2]) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of key, or -1. */
  find(key: number): number {
    // keyAt(i) written out: every get and put finds its key
    const e = this.entries;
    const slot = this.capacity * ENTRY_SIZE + (key & (RECENT_SLOTS - 1));
    let i = e[slot];
    let at = i * ENTRY_SIZE;
    if (i < this.count && ((e[at] << 16) | (e[at + 1] << 8) | e[at + 2]) === key) return i;
    i = this.lowerBound(key);
    at = i * ENTRY_SIZE;
    if (i >= this.count || ((e[at] << 16) | (e[at + 1] << 8) | e[at + 2]) !== key) return -1;
    e[slot] = i & 0xff;
    return i;
  }

  /** Inserts a new key at position i (from lowerBound). The caller checks count < capacity. */
  insertAt(i: number, key: number, addr: number, len: number): void {
    if (this.count >= this.capacity) throw new Error(`store index full (${this.capacity} keys)`);
    const at = i * ENTRY_SIZE;
    copy(this.entries, at, this.entries, at + ENTRY_SIZE, (this.count - i) * ENTRY_SIZE);
    writeU24(this.entries, at, key);
    writeU24(this.entries, at + E_ADDR, addr);
    writeU16(this.entries, at + E_LEN, len);
    this.count++;
  }

  /** Points an existing entry at a new version of its value. */
  replaceAt(i: number, addr: number, len: number): void {
    // writeU24/writeU16 written out: a commit replaces an entry per record, and a call costs Espruino a scope
    const e = this.entries;
    const at = i * ENTRY_SIZE;
    e[at + E_ADDR] = shr(addr, 16) & 0xff;
    e[at + E_ADDR + 1] = shr(addr, 8) & 0xff;
    e[at + E_ADDR + 2] = addr & 0xff;
    e[at + E_LEN] = shr(len, 8) & 0xff;
    e[at + E_LEN + 1] = len & 0xff;
  }

  removeAt(i: number): void {
    const at = i * ENTRY_SIZE;
    copy(this.entries, at + ENTRY_SIZE, this.entries, at, (this.count - i - 1) * ENTRY_SIZE);
    this.count--;
  }
}
