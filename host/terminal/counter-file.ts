/**
 * The terminal's link counters (TS 102 225 CNTR) in its state directory: the last up counter sent
 * and the highest down counter accepted. They live in memory and every write() goes through to
 * link-counters.bin, made durable by an fdatasync on libuv's thread pool: write() returns at once and
 * whenDurable() says when every value written so far is on disk. That is the "group commit" case of
 * core/link/counter.ts: the terminal holds whatever follows from a counter (the PoR of the command
 * it accepted, the request it sealed) until then (terminal.ts sendFrame), and the MCU and the SE
 * work on the command while the disk syncs, instead of after.
 *
 * The file has a fixed size and is kept open, so a write is one pwrite of a slot and one fdatasync:
 * no file is created or renamed per packet, and nothing is read back. Two slots take the writes in
 * turn, each with a checksum, and loading takes the higher value of each counter over the slots
 * that check, as the board does with its two Storage files (board/espruino/link-counters.ts): a
 * power cut during a write spoils at most the slot being written, and the other one holds the
 * value before it (counters only grow). One fdatasync runs at a time: a value written while one
 * runs stays in memory and goes into the other slot once it has finished (several such values:
 * only the last), so the slot being written is never the one holding the last value known durable,
 * and nothing that follows from a value leaves before a sync that covers it.
 *
 *   slot (at 0 and at SLOT_STRIDE)   off 0 up CNTR(5) | 5 down CNTR(5) | 10 CRC(2)
 *   CRC: CRC-16/CCITT-FALSE over the 10 counter octets (core/store/crc16.ts), big-endian
 *
 * A slot that checks by chance after a torn write cannot bring a counter below the value before
 * it: loading takes the higher of the two slots, and the other slot holds that value.
 *
 * A state directory from before this file holds link-counters.json ({"up": hex, "down": hex});
 * its values are taken into account when loading, never written again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CNTR_LEN, compareCounter, type CounterStore } from '../../firmware/src/core/link/counter';
import { CRC16_INIT, crc16 } from '../../firmware/src/core/store/crc16';

export const COUNTER_FILE = 'link-counters.bin';
/** The counter file of earlier versions, read (never written) when loading. */
export const LEGACY_COUNTER_FILE = 'link-counters.json';

const BOTH = 2 * CNTR_LEN;
const CHECKSUM_LEN = 2;
const SLOT_LEN = BOTH + CHECKSUM_LEN;
/** Slots in separate disk sectors. */
const SLOT_STRIDE = 512;
const SLOTS = 2;
const FILE_LEN = SLOTS * SLOT_STRIDE;

export interface CounterFile {
  up: CounterStore;
  down: CounterStore;
  /**
   * Null when every value written is on disk; otherwise a promise that resolves once they are (and
   * rejects if the disk refused: the file is then unusable and later writes throw).
   */
  whenDurable(): Promise<void> | null;
  /** Makes what was written durable (on this thread if need be) and closes the file; later writes throw. */
  close(): void;
}

/** Writes the CRC of slot[0, BOTH) at out[off..off+2). */
function checksum(slot: Uint8Array, out: Uint8Array, off: number): void {
  const crc = crc16(slot, 0, BOTH, CRC16_INIT);
  out[off] = crc >> 8;
  out[off + 1] = crc & 0xff;
}

function slotChecks(slot: Uint8Array): boolean {
  return crc16(slot, 0, BOTH, CRC16_INIT) === ((slot[BOTH] << 8) | slot[BOTH + 1]);
}

/** Each counter of value (up at 0, down at CNTR_LEN) becomes the higher of it and candidate's. */
function takeHigher(value: Uint8Array, candidate: Uint8Array): void {
  for (let at = 0; at < BOTH; at += CNTR_LEN) {
    if (compareCounter(candidate, at, value, at) > 0) value.set(candidate.subarray(at, at + CNTR_LEN), at);
  }
}

function readLegacy(file: string, value: Uint8Array): void {
  if (!fs.existsSync(file)) return;
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { up?: unknown; down?: unknown };
  const candidate = new Uint8Array(BOTH);
  for (const [at, hex] of [[0, stored.up], [CNTR_LEN, stored.down]] as const) {
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]{10}$/.test(hex)) throw new Error(`${file}: counter '${String(hex)}' is not ${CNTR_LEN} octets of hex`);
    candidate.set(Buffer.from(hex, 'hex'), at);
  }
  takeHigher(value, candidate);
}

/** Creates the file with both slots at zero, durable with its directory entry. */
function create(file: string): void {
  const image = new Uint8Array(FILE_LEN);
  const slot = new Uint8Array(SLOT_LEN);
  checksum(slot, slot, BOTH);
  for (let s = 0; s < SLOTS; s++) image.set(slot, s * SLOT_STRIDE);
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, image, 0, FILE_LEN, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

export function fileCounters(dir: string): CounterFile {
  const file = path.join(dir, COUNTER_FILE);
  if (!fs.existsSync(file)) create(file);
  let fd = fs.openSync(file, 'r+');
  /** up[0, 5) then down[5, 10): the value last written (on disk once whenDurable() says so). */
  const value = new Uint8Array(BOTH);
  const slots = [new Uint8Array(SLOT_LEN), new Uint8Array(SLOT_LEN)];
  const valid = [false, false];
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== FILE_LEN) throw new Error(`${file} is ${size} bytes, expected ${FILE_LEN}`);
    for (let s = 0; s < SLOTS; s++) {
      fs.readSync(fd, slots[s], 0, SLOT_LEN, s * SLOT_STRIDE);
      valid[s] = slotChecks(slots[s]);
      if (valid[s]) takeHigher(value, slots[s]);
    }
    if (!valid.includes(true)) throw new Error(`${file}: no slot checks; the counters are lost`);
    readLegacy(path.join(dir, LEGACY_COUNTER_FILE), value);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  // The first write goes to the slot that does not hold the value loaded (the latest write holds
  // both counters at their highest), so a torn first write leaves that one intact.
  const latest = slots.findIndex((s, i) => valid[i] && compareCounter(s, 0, value, 0) === 0 && compareCounter(s, CNTR_LEN, value, CNTR_LEN) === 0);
  let next = latest >= 0 ? (latest + 1) % SLOTS : Math.max(0, valid.indexOf(false));
  const slot = new Uint8Array(SLOT_LEN);
  /** Writes since opening, the count the last pwrite carried, and the count known on disk. */
  let written = 0;
  let inSlot = 0;
  let onDisk = 0;
  let syncing = false;
  let failed: Error | null = null;
  /** Closed while a sync ran: its end closes the file. */
  let closeAfterSync = false;
  let waiters: { upTo: number; resolve(): void; reject(err: Error): void }[] = [];

  /** The value as it is now into the slot after the last one written; the other slot holds the last value synced. */
  const put = (): void => {
    slot.set(value);
    checksum(slot, slot, BOTH);
    fs.writeSync(fd, slot, 0, SLOT_LEN, next * SLOT_STRIDE);
    next = (next + 1) % SLOTS;
    inSlot = written;
  };
  const settle = (): void => {
    const due = waiters.filter((w) => w.upTo <= onDisk);
    if (due.length === 0) return;
    waiters = waiters.filter((w) => w.upTo > onDisk);
    for (const w of due) w.resolve();
  };
  const fail = (err: Error): void => {
    failed = err;
    const all = waiters;
    waiters = [];
    for (const w of all) w.reject(err);
  };
  const sync = (): void => {
    syncing = true;
    const covers = inSlot;
    fs.fdatasync(fd, (err) => {
      syncing = false;
      if (closeAfterSync) {
        fs.closeSync(fd);
        fd = -1;
        return;
      }
      if (err !== null) return fail(new Error(`${file}: fdatasync failed, the counters are not durable: ${err.message}`));
      onDisk = Math.max(onDisk, covers);
      settle();
      if (written > inSlot) {
        put();
        sync();
      }
    });
  };
  const store = (at: number): CounterStore => ({
    read(out, off) {
      out.set(value.subarray(at, at + CNTR_LEN), off);
    },
    write(cntr, off) {
      if (fd < 0 || closeAfterSync) throw new Error(`${file} is closed`);
      if (failed !== null) throw failed;
      value.set(cntr.subarray(off, off + CNTR_LEN), at);
      written++;
      if (syncing) return;
      put();
      sync();
    },
  });
  return {
    up: store(0),
    down: store(CNTR_LEN),
    whenDurable() {
      if (failed !== null) return Promise.reject(failed);
      if (onDisk >= written) return null;
      return new Promise((resolve, reject) => waiters.push({ upTo: written, resolve, reject }));
    },
    close() {
      if (fd < 0 || closeAfterSync) return;
      if (failed === null && onDisk < written) {
        // The slot a running sync covers holds no value known durable, so the last value may go over it.
        if (syncing) next = (next + SLOTS - 1) % SLOTS;
        if (written > inSlot) put();
        fs.fdatasyncSync(fd);
        onDisk = written;
        settle();
      }
      if (syncing) closeAfterSync = true;
      else {
        fs.closeSync(fd);
        fd = -1;
      }
    },
  };
}
