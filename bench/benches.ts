/** The benchmarks `npm run bench` knows, in the order it runs them. */
import { firmwareBench } from './firmware';
import type { BenchOptions, BenchResult } from './_report';

export const BENCHES = {
  firmware: firmwareBench,
} satisfies Record<string, (opts: BenchOptions) => Promise<BenchResult>>;

export type BenchName = keyof typeof BENCHES;
