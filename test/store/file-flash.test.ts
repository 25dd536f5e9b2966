import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileFlash } from '../../host/flash/file-flash';
import { FlashRuleError } from '../../host/flash/memory-flash';
import { Store } from '../../firmware/src/core/store/store';
import { checkStore } from '../../firmware/src/core/store/check';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-flash-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('FileFlash', () => {
  it('creates an erased image of pageCount * 4096 bytes', () => {
    const file = path.join(dir, 'se.bin');
    new FileFlash(file, 3).close();
    const image = fs.readFileSync(file);
    expect(image.length).toBe(3 * 4096);
    expect(image.every((b) => b === 0xff)).toBe(true);
  });

  it('keeps the image (which holds the SE keys) readable by its owner only, also one copied in with mode 0644', () => {
    const file = path.join(dir, 'se.bin');
    new FileFlash(file, 1).close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.chmodSync(file, 0o644);
    new FileFlash(file, 1).close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('writes programs and erases through to the file, at their positions', () => {
    const file = path.join(dir, 'se.bin');
    const flash = new FileFlash(file, 2);
    flash.program(4100, Uint8Array.of(1, 2, 3), 0, 3);
    flash.program(10, Uint8Array.of(7), 0, 1);
    flash.erase(1);
    expect(Array.from(fs.readFileSync(file).subarray(9, 12))).toEqual([0xff, 7, 0xff]);
    expect(fs.readFileSync(file)[4100]).toBe(0xff);
    flash.close();
    const reopened = new FileFlash(file, 2);
    const out = new Uint8Array(1);
    reopened.read(10, out, 0, 1);
    expect(out[0]).toBe(7);
    expect(() => reopened.program(10, Uint8Array.of(0), 0, 1)).toThrow(FlashRuleError);
    reopened.close();
  });

  it('refuses an image of another size, and writes after close()', () => {
    const file = path.join(dir, 'se.bin');
    const flash = new FileFlash(file, 2);
    flash.close();
    expect(() => flash.erase(0)).toThrow(/closed/);
    expect(() => new FileFlash(file, 3)).toThrow(/8192 bytes, expected 12288/);
  });

  it('keeps a store across processes (a new FileFlash and mount)', () => {
    const file = path.join(dir, 'se.bin');
    const first = new FileFlash(file, 4);
    const store = new Store(first);
    store.mount();
    store.begin();
    expect(store.put(3, 7, Uint8Array.of(0xca, 0xfe), 0, 2)).toBe(true);
    expect(store.commit()).toBe(true);
    first.close();
    const second = new FileFlash(file, 4);
    const again = new Store(second);
    again.mount();
    const out = new Uint8Array(2);
    expect(again.get(3, 7, out, 0)).toBe(2);
    expect(Array.from(out)).toEqual([0xca, 0xfe]);
    expect(checkStore(again).ok).toBe(true);
    second.close();
  });
});
