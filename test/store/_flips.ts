/**
 * Damaged-flash cases shared by test/store/corruption.test.ts and the fuzz campaign: a store image
 * after a workload that has gone round its ring, and the outcome of mounting a damaged copy.
 */
import { MemoryFlash } from '../../host/flash/memory-flash';
import { STORE_CORRUPT, Store } from '../../firmware/src/core/store/store';
import { checkStore } from '../../firmware/src/core/store/check';
import { dump, mountStore, must, value } from './_helpers';

export const PAGES = 4;
export const PAGE_SIZE = 4096;
const ELF = 3;
const PURSE = 9;

/** Deterministic PRNG (mulberry32) so every run flips the same bits. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A store that has gone round its ring of 4 pages several times (compaction copies, backups,
 * removes, transactions spanning pages) and ends on a balance update; images after each of the
 * last transactions, with the state each must mount to.
 */
export interface Image {
  image: Uint8Array;
  state: string;
  /** Where the next record would go: the end of the last COMMIT pair. */
  headEnd: number;
}

export function workloadImages(): Image[] {
  const flash = new MemoryFlash(PAGES);
  const store = mountStore(flash);
  const random = prng(12);
  const images: Image[] = [];
  const balance = new Uint8Array(4);
  for (let t = 0; t < 60; t++) {
    store.begin();
    if (t % 7 === 0) {
      // A card's load file: a few blocks, spanning pages now and then.
      for (let b = 0; b < 3; b++) must(store.put(ELF, (t % 5) * 4 + b, value(t + b, 200 + Math.floor(random() * 600)), 0, 200), 'load');
    } else if (t % 11 === 0) {
      must(store.remove(ELF, (t % 5) * 4), 'delete');
    }
    balance[3] = t;
    must(store.put(PURSE, 1, balance, 0, 4), 'balance');
    must(store.commit(), `transaction ${t}`);
    if (t >= 50) images.push({ image: flash.snapshot(), state: dump(store), headEnd: store.log.headPhys * PAGE_SIZE + store.log.headOff });
  }
  return images;
}

export type Outcome = 'exact' | 'refused' | string;

/** Mounts `image` and says whether it came up with exactly `state` or refused it as corrupt. */
export function mountOutcome(image: Uint8Array, state: string): Outcome {
  let store: Store;
  try {
    store = mountStore(new MemoryFlash(PAGES, image));
  } catch (e) {
    const message = (e as Error).message;
    return message.startsWith(STORE_CORRUPT) ? 'refused' : `threw: ${message}`;
  }
  if (dump(store) !== state) return 'came up with another state';
  const check = checkStore(store);
  return check.ok ? 'exact' : `check failed: ${check.problems[0]}`;
}

export interface FlipTally {
  exact: number;
  refused: number;
  wrong: string[];
}

export function flipBits(image: Uint8Array, state: string, bits: number[]): FlipTally {
  const tally: FlipTally = { exact: 0, refused: 0, wrong: [] };
  for (const bit of bits) {
    const flipped = image.slice();
    flipped[bit >> 3] ^= 1 << (bit & 7);
    const outcome = mountOutcome(flipped, state);
    if (outcome === 'exact') tally.exact++;
    else if (outcome === 'refused') tally.refused++;
    else tally.wrong.push(`bit ${bit} (page ${Math.floor(bit / 8 / PAGE_SIZE)} offset ${(bit >> 3) % PAGE_SIZE}): ${outcome}`);
  }
  return tally;
}
