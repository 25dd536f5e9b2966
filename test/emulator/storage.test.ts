/**
 * The emulator's require('Storage') follows Espruino's flash rules (src/jsflash.c jsfWriteFile),
 * persists to its state file, and can lose power in the middle of a write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EspruinoStorage, PowerCutError, STORAGE_TOTAL_BYTES } from '../../host/emulator/espruino-storage';
import { tempDir } from './helpers';

describe('Espruino Storage rules', () => {
  it('creates a fixed-size file full of FF, then fills unwritten bytes at offsets', () => {
    const s = new EspruinoStorage(null);
    s.write('f', 'ab', 0, 6);
    expect(s.read('f')).toBe('ab\xff\xff\xff\xff');
    s.write('f', 'cd', 4);
    expect(s.read('f')).toBe('ab\xff\xffcd');
    expect(s.read('f', 1, 2)).toBe('b\xff');
  });

  it('refuses to write bytes that are already written', () => {
    const s = new EspruinoStorage(null);
    s.write('f', 'ab', 0, 4);
    expect(() => s.write('f', 'x', 1)).toThrow('File already written with different data');
  });

  it('refuses data past the end, and offsets into a missing file', () => {
    const s = new EspruinoStorage(null);
    s.write('f', 'ab', 0, 3);
    expect(() => s.write('f', 'cd', 2)).toThrow('Too much data for file size');
    expect(() => s.write('nofile', 'x', 5)).toThrow('Unable to find or create file');
  });

  it('writing at offset 0 over a written file replaces it with a new, empty one', () => {
    const s = new EspruinoStorage(null);
    s.write('f', 'ab', 0, 4);
    s.write('f', 'cd', 2);
    s.write('f', 'x', 0, 4);
    expect(s.read('f')).toBe('x\xff\xff\xff');
    expect(s.getStats().trashCount).toBe(1);
  });

  it('keeps a file when the same complete contents are written again', () => {
    const s = new EspruinoStorage(null);
    s.write('f', 'same');
    s.write('f', 'same');
    expect(s.getStats().trashCount).toBe(0);
  });

  it('limits names to 28 characters and refuses zero-length files', () => {
    const s = new EspruinoStorage(null);
    expect(() => s.write('x'.repeat(29), 'a')).toThrow(/longer than 28/);
    expect(() => s.write('empty', '')).toThrow("Can't create zero length file");
  });

  it('gives a live view of the file: later writes show through readArrayBuffer', () => {
    const s = new EspruinoStorage(null);
    s.write('f', Uint8Array.of(1), 0, 4);
    const view = new Uint8Array(s.readArrayBuffer('f')!);
    s.write('f', Uint8Array.of(2, 3), 2);
    expect(Array.from(view)).toEqual([1, 0xff, 2, 3]);
  });

  it('counts erased files as trash until compact(), and compacts by itself when full', () => {
    const s = new EspruinoStorage(null);
    const big = 'x'.repeat(200_000);
    s.write('a', big);
    s.erase('a');
    expect(s.getStats().trashBytes).toBeGreaterThan(200_000);
    for (let i = 0; i < 4; i++) s.write(`b${i}`, big);
    expect(s.list().sort()).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(s.getFree()).toBeLessThan(STORAGE_TOTAL_BYTES - 4 * 200_000);
    expect(() => s.write('c', big)).toThrow('Unable to find or create file');
  });
});

describe('Storage persistence and power cuts', () => {
  it('keeps files across instances (power cycles) in the state file', () => {
    const file = path.join(tempDir('storage'), 'storage.json');
    const a = new EspruinoStorage(file);
    a.write('.bootcde', 'print(1)');
    a.write('data', Uint8Array.of(0, 1, 2), 0, 8);
    const b = new EspruinoStorage(file);
    expect(b.read('.bootcde')).toBe('print(1)');
    expect(Array.from(new Uint8Array(b.readArrayBuffer('data')!))).toEqual([0, 1, 2, 255, 255, 255, 255, 255]);
    // it holds the provisioning bundle and the SE's pages, keys included: owner only
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a cut in the middle of a write keeps only the bytes that reached flash, and switches the board off', () => {
    const file = path.join(tempDir('storage-cut'), 'storage.json');
    const s = new EspruinoStorage(file);
    s.write('p', 'x', 0, 16);
    let off = 0;
    s.onPowerCut = () => off++;
    s.armPowerCut({ afterOperations: 1, keepBytes: 3 });
    expect(() => s.write('p', 'abcdefgh', 4)).toThrow(PowerCutError);
    expect(off).toBe(1);
    const after = new EspruinoStorage(file);
    expect(after.read('p')).toBe('x\xff\xff\xffabc' + '\xff'.repeat(9));
    expect(fs.existsSync(file)).toBe(true);
  });

  it('a cut before a new file is created leaves no file', () => {
    const file = path.join(tempDir('storage-cut2'), 'storage.json');
    const s = new EspruinoStorage(file);
    s.armPowerCut({ afterOperations: 1 });
    expect(() => s.write('new', 'data', 0, 10)).toThrow(PowerCutError);
    expect(new EspruinoStorage(file).read('new')).toBeUndefined();
  });
});
