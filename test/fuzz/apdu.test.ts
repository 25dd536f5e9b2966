/**
 * The SE under 21,000 generated APDUs across its states (seeded: a failure names the seed and the
 * shrunk command sequence): no exception, always a status word, no flash write from a refused
 * command, a consistent store afterwards. `npm run fuzz` runs the long campaign.
 */
import { describe, expect, it } from 'vitest';
import { FUZZ_STATES, runApduCampaign } from './_apdu-campaign';

const SEED = 0x7a9c4d;

describe('APDU fuzzing', () => {
  it('every state answers every generated command with a status word and writes nothing it refuses', async () => {
    const runs = 6;
    const length = 500;
    const counts = await runApduCampaign(SEED, runs, length);
    expect(counts.failures).toEqual([]);
    expect(counts.apdus).toBe(FUZZ_STATES.length * runs * length);
    expect(counts.apdus).toBeGreaterThanOrEqual(20_000);
    expect(counts.refused).toBeGreaterThan(counts.apdus / 2); // the generator mostly makes bad commands
  }, 300_000);
});
