/**
 * Damaged flash (docs/reliability.md "Damaged flash"): a bit flipped anywhere in an image, bytes
 * overwritten in a record, an all-zero image. mount() must recover exactly the last committed
 * state or refuse with STORE_CORRUPT; never come up silently with an older state or a key lost.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { STORE_CORRUPT, Store } from '../../firmware/src/core/store/store';
import { dump, mountStore } from './_helpers';
import { PAGES, PAGE_SIZE, flipBits, mountOutcome, prng, workloadImages } from './_flips';

describe('damaged flash', () => {
  const images = workloadImages();

  it('every flipped bit of the last image mounts to exactly the last committed state or is refused', () => {
    const { image, state } = images[images.length - 1];
    // Every 97th bit: every page, every bit position in a byte (bench/store-flips.ts flips all).
    const bits: number[] = [];
    for (let bit = 0; bit < image.length * 8; bit += 97) bits.push(bit);
    const tally = flipBits(image, state, bits);
    expect(tally.wrong).toEqual([]);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.exact + tally.refused).toBe(bits.length);
  });

  it('every bit of the last transaction (its records and its COMMIT pair), in 3 images', () => {
    for (const { image, state, headEnd } of images.slice(-3)) {
      const pageStart = headEnd - (headEnd % PAGE_SIZE);
      const from = headEnd - 120 > pageStart ? headEnd - 120 : pageStart;
      const bits: number[] = [];
      for (let bit = from * 8; bit < headEnd * 8; bit++) bits.push(bit);
      const tally = flipBits(image, state, bits);
      expect(tally.wrong).toEqual([]);
    }
  });

  it('seeded random single-bit flips across 10 images', () => {
    const random = prng(2026);
    let total = 0;
    for (const { image, state } of images) {
      const bits: number[] = [];
      for (let i = 0; i < 150; i++) bits.push(Math.floor(random() * image.length * 8));
      const tally = flipBits(image, state, bits);
      expect(tally.wrong).toEqual([]);
      total += tally.exact + tally.refused;
    }
    expect(total).toBe(1500);
  });

  it('bytes overwritten inside a record are refused, not skipped', () => {
    const { image, state } = images[images.length - 1];
    const random = prng(7);
    let refused = 0;
    let tried = 0;
    while (tried < 200) {
      const damaged = image.slice();
      const at = Math.floor(random() * image.length);
      if (damaged[at] === 0xff) continue;
      tried++;
      damaged[at] ^= 0xff;
      if (at + 1 < damaged.length && damaged[at + 1] !== 0xff) damaged[at + 1] ^= 0x5a;
      const outcome = mountOutcome(damaged, state);
      expect(outcome === 'exact' || outcome === 'refused', `bytes at ${at}: ${outcome}`).toBe(true);
      if (outcome === 'refused') refused++;
    }
    expect(refused).toBeGreaterThan(tried / 2);
  });

  it('an all-zero image is refused, not taken for an empty store, and nothing is written', () => {
    const zero = new Uint8Array(PAGES * PAGE_SIZE);
    const flash = new MemoryFlash(PAGES, zero);
    expect(() => new Store(flash).mount()).toThrow(`${STORE_CORRUPT}page 0 offset 0: page header damaged and no valid page found`);
    expect(flash.opCount).toBe(0);
    expect(Array.from(flash.snapshot().subarray(0, 16))).toEqual(new Array(16).fill(0));
  });

  it('an image of random bytes is refused', () => {
    const random = prng(99);
    const junk = new Uint8Array(PAGES * PAGE_SIZE).map(() => Math.floor(random() * 256));
    expect(() => new Store(new MemoryFlash(PAGES, junk)).mount()).toThrow(STORE_CORRUPT);
  });

  it('an erased image is an empty store', () => {
    const store = mountStore(new MemoryFlash(PAGES));
    expect(dump(store)).toBe('');
  });
});
