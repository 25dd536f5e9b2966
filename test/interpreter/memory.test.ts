/**
 * The board's RAM on the real Espruino interpreter (bench/_memory-journey.ts): the exact
 * bundle boots provisioned for a platform in this process, downloads the transit card asked for on
 * its console through the platform's job and the MCU relay, and a POS taps it for a load and a
 * debit through the stand-in PN532. The peak of the sampled JsVars over the three phases must stay
 * within JSVAR_CEILING (what the firmware holds today; the goal, JSVAR_GOAL, is printed beside
 * it), with no Uncaught and no LOW_MEMORY or MEMORY error flag.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSVAR_CEILING, JSVAR_GOAL, runMemoryJourney } from '../../bench/_memory-journey';
import { buildTestFirmware, tempDir } from '../emulator/helpers';
import { requireEspruino } from '../helpers/skip';
import { INTERPRETER_TEST_TIMEOUT_MS } from './helpers';
import fs from 'node:fs';

describe.skipIf(requireEspruino('real-interpreter memory suite'))('the board RAM on the real Espruino interpreter over boot, a download and a tap', { timeout: INTERPRETER_TEST_TIMEOUT_MS }, () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir('interpreter-memory');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`stays within ${JSVAR_CEILING} JsVars at its sampled peak, with no memory error and no Uncaught`, async () => {
    const firmware = await buildTestFirmware('interpreter-memory');
    const m = await runMemoryJourney({ firmwareFile: firmware, stateDir: path.join(dir, 'state') });
    console.log(
      `real interpreter JsVars (of ${m.total}): after boot ${m.afterBoot}, peak during boot ${m.bootPeak}, download ${m.downloadPeak}, tap ${m.tapPeak}; ` +
        `with the stand-in PN532 (objects ${m.standIn.heldVars}, frame up to ${m.standIn.frameVars}): ${m.withStandIn.afterBoot}, ${m.withStandIn.bootPeak}, ${m.withStandIn.downloadPeak}, ${m.withStandIn.tapPeak}; ` +
        `goal ${JSVAR_GOAL} ${m.peak <= JSVAR_GOAL ? 'met' : 'not met'}; main()'s objects: ${m.walk.parts.map((p) => `${p.name} ${p.jsVars}`).join(', ')}`,
    );
    expect(m.balance).toBe(4800);
    expect(m.uncaught).toEqual([]);
    expect(m.errorFlags.filter((f) => f === 'LOW_MEMORY' || f === 'MEMORY')).toEqual([]);
    expect(m.peak).toBeLessThanOrEqual(JSVAR_CEILING);
    expect(m.walk.parts.find((p) => p.name === 'se')?.jsVars).toBeGreaterThan(0);
  });
});
