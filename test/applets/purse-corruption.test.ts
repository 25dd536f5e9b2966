/**
 * The SE on a damaged flash image: a transit card holding 50.00, then single bits flipped across
 * the image (seeded) and in the last transaction's bytes. Each boot must come up with exactly the
 * stored state (the card there, 50.00 on it) or refuse the image as corrupt; never an older
 * state, never a card gone (docs/reliability.md "Damaged flash").
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { STORE_CORRUPT } from '../../firmware/src/core/store/store';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { dump } from '../store/_helpers';
import { prng } from '../store/_flips';
import { TestSe, cardPackage, installPackage } from './_harness';
import { PurseTerminal, load } from './_terminal';

const PAGES = 16;
const CARD_NUMBER = '31041000000000077777';
const AID = 'a00000063201010503e8';
const SELECT = `00a404000a${AID}00`;
const TERMINAL = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER)));

/** 'refused', or the balance in cents and the whole stored state after booting on `image`. */
function boot(image: Uint8Array): { balance: number; state: string } | 'refused' {
  let t: TestSe;
  try {
    t = new TestSe(new MemoryFlash(PAGES, image));
  } catch (e) {
    if ((e as Error).message.startsWith(STORE_CORRUPT)) return 'refused';
    throw e;
  }
  const state = dump(t.se.store);
  const selected = t.send(SELECT);
  if (!selected.endsWith('9000')) return { balance: -1, state };
  return { balance: parseInt(t.ok('805c000204'), 16), state };
}

describe('SE on a damaged flash image', () => {
  it('a card holding 50.00: every flipped bit boots to exactly that state or is refused', async () => {
    const t = new TestSe(new MemoryFlash(PAGES));
    const { spec, file } = await cardPackage({ app: 'transit', cardNumber: CARD_NUMBER, termsLength: 1500 });
    await installPackage(t.transmit, file, spec);
    t.ok(SELECT);
    load((h) => t.send(h), TERMINAL, 2, 1000);
    load((h) => t.send(h), TERMINAL, 2, 4000);
    const image = t.flash.snapshot();
    const expected = boot(image);
    expect(expected).not.toBe('refused');
    if (expected === 'refused') return;
    expect(expected.balance).toBe(5000);

    // The last transaction (the 40.00 load) ends where the written bytes of the image end.
    let written = image.length;
    while (image[written - 1] === 0xff) written--;
    const random = prng(50);
    const bits: number[] = [];
    for (let i = 0; i < 300; i++) bits.push(Math.floor(random() * image.length * 8));
    for (let bit = (written - 64) * 8; bit < written * 8; bit += 3) bits.push(bit);
    let refused = 0;
    for (const bit of bits) {
      const flipped = image.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      const got = boot(flipped);
      if (got === 'refused') refused++;
      else expect(got, `bit ${bit}`).toEqual(expected);
    }
    expect(refused).toBeGreaterThan(0);
  });
});
