/**
 * The terminal's counter file (host/terminal/counter-file.ts): values survive a reopen, a torn
 * write spoils only the slot being written (the value before it is loaded), the first write after
 * a reopen never goes over the slot holding the latest value, values written while a sync runs
 * never go over the slot holding the last value synced, whenDurable() tells when they are on disk,
 * and an earlier version's JSON file counts when loading.
 */
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COUNTER_FILE, LEGACY_COUNTER_FILE, fileCounters, type CounterFile } from '../../host/terminal/counter-file';
import { CNTR_LEN } from '../../firmware/src/core/link/counter';

const SLOT_STRIDE = 512;
const dirs: string[] = [];
const open: CounterFile[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tapcard-counter-file-'));
  dirs.push(d);
  return d;
}

function counters(dir: string): CounterFile {
  const c = fileCounters(dir);
  open.push(c);
  return c;
}

function cntr(n: number): Uint8Array {
  const out = new Uint8Array(CNTR_LEN);
  for (let i = CNTR_LEN - 1; i >= 0 && n > 0; i--, n = Math.floor(n / 256)) out[i] = n & 0xff;
  return out;
}

function read(c: CounterFile, dir: 'up' | 'down'): string {
  const out = new Uint8Array(CNTR_LEN);
  c[dir].read(out, 0);
  return Buffer.from(out).toString('hex');
}

/** Writes n as the down counter and waits until it is on disk. */
async function writeDown(c: CounterFile, n: number): Promise<void> {
  c.down.write(cntr(n), 0);
  await c.whenDurable();
}

function reopen(dir: string, c: CounterFile): CounterFile {
  c.close();
  return counters(dir);
}

/** A power cut in the middle of writing slot s: its octets are garbage. */
function tear(dir: string, s: number): void {
  const fd = fs.openSync(path.join(dir, COUNTER_FILE), 'r+');
  fs.writeSync(fd, new Uint8Array(7).fill(0x5a), 0, 7, s * SLOT_STRIDE + 3);
  fs.closeSync(fd);
}

function slotOf(dir: string, down: number): number {
  const image = fs.readFileSync(path.join(dir, COUNTER_FILE));
  for (let s = 0; s < 2; s++) if (image.subarray(s * SLOT_STRIDE + CNTR_LEN, s * SLOT_STRIDE + 2 * CNTR_LEN).equals(cntr(down))) return s;
  return -1;
}

describe('terminal counter file', () => {
  it('starts at zero and keeps both counters across a reopen', () => {
    const dir = tempDir();
    let c = counters(dir);
    expect(read(c, 'up')).toBe('0000000000');
    expect(read(c, 'down')).toBe('0000000000');
    c.up.write(cntr(7), 0);
    c.down.write(cntr(0x1234), 0);
    c = reopen(dir, c);
    expect(read(c, 'up')).toBe('0000000007');
    expect(read(c, 'down')).toBe('0000001234');
    expect(fs.statSync(path.join(dir, COUNTER_FILE)).size).toBe(2 * SLOT_STRIDE);
  });

  it('loads the value before a torn write', async () => {
    const dir = tempDir();
    let c = counters(dir);
    for (let n = 1; n <= 5; n++) await writeDown(c, n);
    tear(dir, slotOf(dir, 5));
    c = reopen(dir, c);
    expect(read(c, 'down')).toBe('0000000004');
  });

  it('writes first, after a reopen, over the slot not holding the latest value', async () => {
    const dir = tempDir();
    let c = counters(dir);
    for (let n = 1; n <= 3; n++) await writeDown(c, n);
    c = reopen(dir, c);
    const latest = slotOf(dir, 3);
    await writeDown(c, 4);
    expect(slotOf(dir, 3)).toBe(latest);
    tear(dir, slotOf(dir, 4));
    c = reopen(dir, c);
    expect(read(c, 'down')).toBe('0000000003');
    // the torn slot takes the next write; the other one still holds 3
    await writeDown(c, 5);
    expect(slotOf(dir, 3)).toBe(latest);
    c = reopen(dir, c);
    expect(read(c, 'down')).toBe('0000000005');
  });

  it('says when the values written are on disk', async () => {
    const c = counters(tempDir());
    expect(c.whenDurable()).toBeNull();
    c.up.write(cntr(1), 0);
    const durable = c.whenDurable();
    expect(durable).not.toBeNull();
    await durable;
    expect(c.whenDurable()).toBeNull();
  });

  it('keeps values written while a sync runs from the slot holding the last value synced', async () => {
    const dir = tempDir();
    let c = counters(dir);
    await writeDown(c, 1);
    const synced = slotOf(dir, 1);
    c.down.write(cntr(2), 0); // into the other slot; its sync starts
    const second = slotOf(dir, 2);
    expect(second).toBe(1 - synced);
    c.down.write(cntr(3), 0);
    c.down.write(cntr(4), 0);
    // 3 and 4 wait in memory: the slot of 1 is the only one known on disk until 2's sync ends
    expect(slotOf(dir, 1)).toBe(synced);
    expect(slotOf(dir, 3)).toBe(-1);
    expect(slotOf(dir, 4)).toBe(-1);
    expect(read(c, 'down')).toBe('0000000004');
    await c.whenDurable();
    // only the last of them, into the slot after 2's
    expect(slotOf(dir, 2)).toBe(second);
    expect(slotOf(dir, 4)).toBe(synced);
    expect(slotOf(dir, 3)).toBe(-1);
    c = reopen(dir, c);
    expect(read(c, 'down')).toBe('0000000004');
  });

  it('makes the last value durable when closed while a sync runs', () => {
    const dir = tempDir();
    let c = counters(dir);
    c.down.write(cntr(1), 0);
    c.down.write(cntr(2), 0);
    const pending = c.whenDurable();
    c = reopen(dir, c);
    expect(read(c, 'down')).toBe('0000000002');
    return expect(pending).resolves.toBeUndefined();
  });

  it('refuses to start when no slot checks', () => {
    const dir = tempDir();
    const c = counters(dir);
    c.close();
    tear(dir, 0);
    tear(dir, 1);
    expect(() => fileCounters(dir)).toThrow(/no slot checks/);
  });

  it('takes the higher of its slots and an earlier version\'s JSON file', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, LEGACY_COUNTER_FILE), JSON.stringify({ up: '0000000009', down: '00000000ff' }) + '\n');
    let c = counters(dir);
    expect(read(c, 'up')).toBe('0000000009');
    expect(read(c, 'down')).toBe('00000000ff');
    c.down.write(cntr(0x100), 0);
    c = reopen(dir, c);
    expect(read(c, 'up')).toBe('0000000009');
    expect(read(c, 'down')).toBe('0000000100');
  });

  it('throws on a write after close', () => {
    const c = counters(tempDir());
    c.close();
    expect(() => c.up.write(cntr(1), 0)).toThrow(/closed/);
  });
});
