/**
 * npm run bench            every benchmark, in order
 * npm run bench -- NAME..  the named ones (firmware, tap, download, platform)
 * --smoke                  a handful of iterations (CI keeps the benches working; figures meaningless)
 * --out DIR                where NAME.json goes (default bench/results)
 *
 * Each benchmark prints its tables and the machine, and writes bench/results/NAME.json.
 * Benchmarks print figures; they never pass or fail on time (docs/performance.md).
 */
import { parseArgs } from 'node:util';
import { BENCHES, type BenchName } from './benches';
import { RESULTS_DIR, renderResult, writeResult } from './_report';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const names = Object.keys(BENCHES) as BenchName[];
  if (values.help === true) {
    console.log(`usage: npm run bench [-- [--smoke] [--out DIR] [${names.join('|')}]...]`);
    return 0;
  }
  const unknown = positionals.filter((p) => !(p in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${names.join(', ')}`);
    return 2;
  }
  const chosen = positionals.length > 0 ? (positionals as BenchName[]) : names;
  for (const name of chosen) {
    const result = await BENCHES[name]({ smoke: values.smoke === true });
    console.log(renderResult(result));
    console.log(`wrote ${writeResult(result, values.out ?? RESULTS_DIR)}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
