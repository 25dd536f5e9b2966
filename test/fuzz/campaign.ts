/**
 * `npm run fuzz`: the long fuzzing campaign, the same generators as the CI suites at a larger count.
 *
 *   npm run fuzz [-- --apdus N] [--frames N] [--seed S] [--json]
 *
 * Defaults: 1,050,000 APDUs (7 SE states) and 100,000 link frames. Prints progress on stderr and
 * the counts at the end; exit 0 when nothing failed, 1 with each failure (seed and shrunk case).
 */
import { parseArgs } from 'node:util';
import { FUZZ_STATES, runApduCampaign } from './_apdu-campaign';
import { runLinkCampaign } from './_link-campaign';

const { values: v } = parseArgs({
  options: {
    apdus: { type: 'string', default: '1050000' },
    frames: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (v.help) {
  console.log('usage: npm run fuzz [-- --apdus N] [--frames N] [--seed S] [--json]');
  process.exit(0);
}
const seed = v.seed === undefined ? Date.now() & 0x7fffffff : Number(v.seed);
const APDU_RUN = 500;
const FRAME_RUN = 200;
const apduRuns = Math.max(1, Math.ceil(Number(v.apdus) / (FUZZ_STATES.length * APDU_RUN)));
const frameRuns = Math.max(1, Math.ceil(Number(v.frames) / FRAME_RUN));
const t0 = Date.now();
const progress = (what: string, n: number, of: number): void => {
  process.stderr.write(`\r${what}: ${n.toLocaleString('en')} of ${of.toLocaleString('en')} (${Math.round((Date.now() - t0) / 1000)} s)   `);
};

const apdu = await runApduCampaign(seed, apduRuns, APDU_RUN, (n) => progress('APDUs', n, apduRuns * APDU_RUN * FUZZ_STATES.length));
process.stderr.write('\n');
const link = await runLinkCampaign(seed, frameRuns, FRAME_RUN, (n) => progress('frames', n, frameRuns * FRAME_RUN));
process.stderr.write('\n');
const failures = [...apdu.failures, ...link.failures];
const report = { seed, apdus: apdu.apdus, refusedApdus: apdu.refused, frames: link.frames, deliveries: link.deliveries, failures, seconds: (Date.now() - t0) / 1000 };
if (v.json) console.log(JSON.stringify(report));
else {
  console.log(`seed ${seed}: ${apdu.apdus.toLocaleString('en')} APDUs (${apdu.refused.toLocaleString('en')} refused), ${link.frames.toLocaleString('en')} link frames, ${report.seconds.toFixed(0)} s`);
  console.log(failures.length === 0 ? 'no failures' : failures.join('\n'));
}
process.exit(failures.length === 0 ? 0 : 1);
