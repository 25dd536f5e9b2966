import { describe, expect, it } from 'vitest';
import { FlashRuleError, MemoryFlash, PowerCutError } from '../../host/flash/memory-flash';

function bytes(flash: MemoryFlash, addr: number, len: number): number[] {
  const out = new Uint8Array(len);
  flash.read(addr, out, 0, len);
  return Array.from(out);
}

describe('MemoryFlash rules (Espruino Storage, docs/espruino.md)', () => {
  it('starts erased and reads back what was programmed', () => {
    const flash = new MemoryFlash(2);
    expect(flash.pageSize).toBe(4096);
    expect(bytes(flash, 8190, 2)).toEqual([0xff, 0xff]);
    flash.program(100, Uint8Array.of(9, 1, 2, 3), 1, 3);
    expect(bytes(flash, 99, 5)).toEqual([0xff, 1, 2, 3, 0xff]);
  });

  it('refuses to program a byte twice between erases, even one that still reads 0xFF', () => {
    const flash = new MemoryFlash(1);
    flash.program(10, Uint8Array.of(0x12), 0, 1);
    expect(() => flash.program(10, Uint8Array.of(0x02), 0, 1)).toThrow(FlashRuleError);
    flash.program(11, Uint8Array.of(0xff), 0, 1);
    expect(() => flash.program(11, Uint8Array.of(0x00), 0, 1)).toThrow(FlashRuleError);
  });

  it('checks every byte before writing any', () => {
    const flash = new MemoryFlash(1);
    flash.program(5, Uint8Array.of(0), 0, 1);
    expect(() => flash.program(3, Uint8Array.of(1, 1, 1), 0, 3)).toThrow(FlashRuleError);
    expect(bytes(flash, 3, 2)).toEqual([0xff, 0xff]);
  });

  it('erases one whole page, after which its bytes can be programmed again', () => {
    const flash = new MemoryFlash(2);
    flash.program(4095, Uint8Array.of(1, 2), 0, 2);
    flash.erase(0);
    expect(bytes(flash, 4095, 2)).toEqual([0xff, 2]);
    flash.program(4095, Uint8Array.of(7), 0, 1);
    expect(bytes(flash, 4095, 1)).toEqual([7]);
    expect(() => flash.program(4096, Uint8Array.of(3), 0, 1)).toThrow(FlashRuleError);
  });

  it('rejects ranges outside the device', () => {
    const flash = new MemoryFlash(1);
    expect(() => flash.read(4090, new Uint8Array(8), 0, 8)).toThrow(RangeError);
    expect(() => flash.program(-1, Uint8Array.of(1), 0, 1)).toThrow(RangeError);
    expect(() => flash.erase(1)).toThrow(RangeError);
  });

  it('keeps an image: snapshot() into a new flash, where written bytes stay written', () => {
    const flash = new MemoryFlash(1);
    flash.program(0, Uint8Array.of(0x5a), 0, 1);
    const copy = new MemoryFlash(1, flash.snapshot());
    expect(bytes(copy, 0, 2)).toEqual([0x5a, 0xff]);
    expect(() => copy.program(0, Uint8Array.of(0x50), 0, 1)).toThrow(FlashRuleError);
    expect(() => new MemoryFlash(2, flash.snapshot())).toThrow(RangeError);
  });
});

describe('MemoryFlash power cuts', () => {
  it('counts program and erase operations', () => {
    const flash = new MemoryFlash(2);
    flash.program(0, Uint8Array.of(1), 0, 1);
    flash.erase(1);
    flash.read(0, new Uint8Array(1), 0, 1);
    expect([flash.opCount, flash.programCount, flash.eraseCount]).toEqual([2, 1, 1]);
  });

  it('lets n operations through, tears the next program to its first half, then is off until reboot', () => {
    const flash = new MemoryFlash(1);
    flash.cutAfter(1);
    flash.program(0, Uint8Array.of(1), 0, 1);
    expect(() => flash.program(10, Uint8Array.of(1, 2, 3, 4, 5), 0, 5)).toThrow(PowerCutError);
    expect(flash.isPoweredOff).toBe(true);
    expect(() => flash.read(0, new Uint8Array(1), 0, 1)).toThrow(PowerCutError);
    expect(() => flash.erase(0)).toThrow(PowerCutError);
    flash.reboot();
    expect(bytes(flash, 9, 7)).toEqual([0xff, 1, 2, 0xff, 0xff, 0xff, 0xff]);
    expect(() => flash.program(11, Uint8Array.of(9), 0, 1)).toThrow(FlashRuleError);
    flash.program(12, Uint8Array.of(9), 0, 1);
    expect(bytes(flash, 12, 1)).toEqual([9]);
  });

  it('tears an erase: the first half of the page erased, the rest as before', () => {
    const flash = new MemoryFlash(1);
    flash.program(0, new Uint8Array(4096).fill(0x11), 0, 4096);
    flash.cutAfter(0);
    expect(() => flash.erase(0)).toThrow(PowerCutError);
    flash.reboot();
    expect(bytes(flash, 2046, 4)).toEqual([0xff, 0xff, 0x11, 0x11]);
    expect(bytes(flash, 4095, 1)).toEqual([0x11]);
  });

  it('does nothing when the armed cut is cleared by reboot()', () => {
    const flash = new MemoryFlash(1);
    flash.cutAfter(0);
    flash.reboot();
    flash.program(0, Uint8Array.of(1, 2), 0, 2);
    expect(bytes(flash, 0, 2)).toEqual([1, 2]);
  });
});
