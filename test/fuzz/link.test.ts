/**
 * The platform's link end under 10,000 generated frames (seeded): replayed, tampered, truncated,
 * extended, re-headed and random frames reach no handler and crash nothing; a genuine request sent
 * out of order among junk afterwards arrives once, intact.
 */
import { describe, expect, it } from 'vitest';
import { runLinkCampaign } from './_link-campaign';

describe('link frame fuzzing', () => {
  it('accepts nothing that should not be, and still serves a genuine request afterwards', async () => {
    const counts = await runLinkCampaign(0x11c0de, 50, 200);
    expect(counts.failures).toEqual([]);
    expect(counts.frames).toBeGreaterThanOrEqual(10_000);
    expect(counts.deliveries).toBe(8); // 7 genuine requests before, 1 after
  }, 300_000);
});
