/** The benchmarks `npm run bench` knows, in the order it runs them. */
import { firmwareBench } from './firmware';
import { tapBench } from './tap';
import { downloadBench } from './download';
import { platformBench } from './platform';
import { linkCryptoBench } from './link-crypto';
import type { BenchOptions, BenchResult } from './_report';

export const BENCHES = {
  firmware: firmwareBench,
  tap: tapBench,
  download: downloadBench,
  platform: platformBench,
  'link-crypto': linkCryptoBench,
} satisfies Record<string, (opts: BenchOptions) => Promise<BenchResult>>;

export type BenchName = keyof typeof BENCHES;
