/**
 * The terminal's link counters (TS 102 225 CNTR) in its state directory: the last up counter sent
 * and the highest down counter accepted. They live in memory and every write() goes through to
 * link-counters.bin before it returns, durable (fdatasync), as core/link/counter.ts requires.
 *
 * The file has a fixed size and is kept open, so a write is one pwrite of a slot and one fdatasync:
 * no file is created or renamed per packet, and nothing is read back. Two slots take the writes in
 * turn, each with a checksum, and loading takes the higher value of each counter over the slots
 * that check, as the board does with its two Storage files (board/espruino/link-counters.ts): a
 * power cut during a write spoils at most the slot being written, and the other one holds the
 * value before it (counters only grow).
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
  /** Closes the file; later writes throw. */
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
  /** up[0, 5) then down[5, 10): the durable value once a write returned. */
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
  const store = (at: number): CounterStore => ({
    read(out, off) {
      out.set(value.subarray(at, at + CNTR_LEN), off);
    },
    write(cntr, off) {
      if (fd < 0) throw new Error(`${file} is closed`);
      value.set(cntr.subarray(off, off + CNTR_LEN), at);
      slot.set(value);
      checksum(slot, slot, BOTH);
      fs.writeSync(fd, slot, 0, SLOT_LEN, next * SLOT_STRIDE);
      fs.fdatasyncSync(fd);
      next = (next + 1) % SLOTS;
    },
  });
  return {
    up: store(0),
    down: store(CNTR_LEN),
    close() {
      if (fd < 0) return;
      fs.closeSync(fd);
      fd = -1;
    },
  };
}
