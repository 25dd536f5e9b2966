/**
 * The board's Flash HAL on Espruino Storage (firmware/src/board/espruino/storage-flash.ts), on the
 * emulator's Storage with Espruino's write-once rules.
 */
import { describe, expect, it } from 'vitest';
import { StorageFlash, FLASH_PAGE_SIZE } from '../../firmware/src/board/espruino/storage-flash';
import { EspruinoStorage } from '../../host/emulator/espruino-storage';

/** E.sum, as the board's byteSum calls it. */
const sum = (bytes: Uint8Array) => bytes.reduce((a, b) => a + b, 0);

function flash(pages = 4) {
  const storage = new EspruinoStorage(null);
  return { storage, flash: new StorageFlash(storage, 'tcf', pages, sum) };
}

const read = (f: StorageFlash, addr: number, len: number) => {
  const out = new Uint8Array(len);
  f.read(addr, out, 0, len);
  return Array.from(out);
};

describe('Flash HAL on Storage (one file per 4 KB page)', () => {
  it('reads FF from pages never written, without creating files', () => {
    const { storage, flash: f } = flash();
    expect(read(f, 4090, 12)).toEqual(new Array(12).fill(0xff));
    expect(storage.list()).toEqual([]);
  });

  it('programs bytes anywhere in a page, in any order, including offset 0 after others', () => {
    const { storage, flash: f } = flash();
    f.program(100, Uint8Array.of(1, 2, 3), 0, 3);
    f.program(0, Uint8Array.of(9), 0, 1);
    f.program(4095, Uint8Array.of(7), 0, 1);
    expect(read(f, 0, 2)).toEqual([9, 0xff]);
    expect(read(f, 99, 5)).toEqual([0xff, 1, 2, 3, 0xff]);
    expect(read(f, 4095, 1)).toEqual([7]);
    expect(storage.list()).toEqual(['tcf0']);
  });

  it('splits a program and a read that cross a page boundary', () => {
    const { storage, flash: f } = flash();
    const data = Uint8Array.from({ length: 8 }, (_, i) => i + 1);
    f.program(FLASH_PAGE_SIZE - 4, data, 0, 8);
    expect(read(f, FLASH_PAGE_SIZE - 4, 8)).toEqual(Array.from(data));
    expect(storage.list().sort()).toEqual(['tcf0', 'tcf1']);
  });

  it('keeps the NOR rule: programming a byte that is not erased throws', () => {
    const { flash: f } = flash();
    f.program(10, Uint8Array.of(0x55), 0, 1);
    expect(() => f.program(10, Uint8Array.of(0x55), 0, 1)).toThrow(/byte 10 is not erased/);
    // One written byte inside a longer range is found too, and nothing of the range is written.
    expect(() => f.program(4, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 0, 8)).toThrow(/byte 10 is not erased/);
    expect(read(f, 4, 8)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x55, 0xff]);
  });

  it('erase(page) makes the page read FF and writable again; other pages keep their data', () => {
    const { flash: f } = flash();
    f.program(5, Uint8Array.of(1), 0, 1);
    f.program(FLASH_PAGE_SIZE + 5, Uint8Array.of(2), 0, 1);
    f.erase(0);
    expect(read(f, 5, 1)).toEqual([0xff]);
    expect(read(f, FLASH_PAGE_SIZE + 5, 1)).toEqual([2]);
    f.program(5, Uint8Array.of(3), 0, 1);
    expect(read(f, 5, 1)).toEqual([3]);
  });

  it('rejects addresses outside the device', () => {
    const { flash: f } = flash(2);
    expect(() => read(f, 2 * FLASH_PAGE_SIZE - 1, 2)).toThrow(/outside/);
    expect(() => f.erase(2)).toThrow(/outside/);
  });

  it('replaces a page file of the wrong size (not one of ours) on first program', () => {
    const { storage, flash: f } = flash();
    storage.write('tcf0', 'old format');
    expect(read(f, 0, 1)).toEqual([0xff]);
    f.program(0, Uint8Array.of(4), 0, 1);
    expect(read(f, 0, 1)).toEqual([4]);
  });
});
