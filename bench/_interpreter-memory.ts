/**
 * The firmware bench's whole-board memory part on the real interpreter (TAPCARD_ESPRUINO): the
 * peak JsVars over boot, a download through the platform and a POS tap
 * (bench/_memory-journey.ts), against the goal, and where the JsVars go: the bundle's
 * definitions (the bundle evaluated without its closing main() call), main()'s objects part by
 * part and the largest objects inside them (E.getSizeOf, host/interpreter/memory-walk.ts, with
 * property names turned back into the source's through the build's rename map), and the rest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFirmware } from '../tools/firmware/build-firmware';
import { InterpreterBoard } from '../host/interpreter/interpreter-board';
import { JSVAR_CEILING, JSVAR_GOAL, runMemoryJourney, type MemoryJourney } from './_memory-journey';
import { espruinoBinary, ESPRUINO_ENV } from './_interpreter-se';
import type { Table } from './_report';

export interface MemorySection {
  tables: Table[];
  notes: string[];
  figures: Record<string, unknown>;
}

/** `a.bC.x` with minified property names -> the source's names where the build renamed them. */
function sourcePath(p: string, original: Map<string, string>): string {
  return p
    .split('.')
    .map((seg) => original.get(seg) ?? seg)
    .join('.');
}

/** JsVars the bundle's definitions hold: the bundle run from Storage without its last statement, main(). */
async function definitionVars(bundleFile: string, dir: string, binary: string): Promise<number> {
  const code = fs.readFileSync(bundleFile, 'latin1');
  const call = /[\w$]+\(\);?\s*$/.exec(code);
  if (call === null) throw new Error('the bundle does not end with its main() call');
  const withoutMain = path.join(dir, 'definitions.js');
  fs.writeFileSync(withoutMain, code.slice(0, call.index), 'latin1');
  const board = await InterpreterBoard.start({ stateDir: path.join(dir, 'definitions'), binary, firmwareFile: withoutMain });
  try {
    const usage = (await board.evaluate('process.memory().usage')).value as number;
    return usage - (await board.standInVars());
  } finally {
    await board.stop();
  }
}

export async function memorySection(progress: (line: string) => void): Promise<MemorySection> {
  const binary = espruinoBinary();
  if (binary === null) {
    const why = `SKIPPED: real-interpreter board memory (set ${ESPRUINO_ENV} to the binary ../shared/vendor/espruino/build.sh prints)`;
    progress(why);
    return { tables: [], notes: [why], figures: { skipped: why } };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-bench-memory-'));
  try {
    progress('memory: building the bundle');
    const bundleFile = path.join(dir, 'espruino.js');
    const built = await buildFirmware({ outFile: bundleFile, buildLabel: 'bench', espruino: null });
    if (!built.ok) throw new Error(`firmware build failed:\n${built.problems.join('\n')}`);
    const original = new Map(Object.entries(built.renames).map(([from, to]) => [to, from]));
    progress('memory: the definitions alone');
    const definitions = await definitionVars(bundleFile, dir, binary);
    const m: MemoryJourney = await runMemoryJourney({ firmwareFile: bundleFile, stateDir: path.join(dir, 'board'), binary, progress });
    const objects = m.walk.parts.reduce((n, p) => n + p.jsVars, 0);
    const verdict = (v: number) => (v <= JSVAR_GOAL ? 'met' : 'not met');
    const peaks: Table = {
      title: `Board JsVars on the real interpreter (of ${m.total}; goal: firmware peak <= ${JSVAR_GOAL})`,
      columns: ['point', 'firmware JsVars', 'goal', 'with the stand-in PN532'],
      rows: [
        ['after boot, link online', m.afterBoot, '', m.withStandIn.afterBoot],
        ['peak during boot', m.bootPeak, verdict(m.bootPeak), m.withStandIn.bootPeak],
        ['peak during download("transit") through the platform', m.downloadPeak, verdict(m.downloadPeak), m.withStandIn.downloadPeak],
        ['peak during a POS load and debit', m.tapPeak, verdict(m.tapPeak), m.withStandIn.tapPeak],
        ['peak over all three', m.peak, verdict(m.peak), m.withStandIn.peak],
        ['ceiling the memory suite holds (test/interpreter/memory.test.ts)', JSVAR_CEILING, '', ''],
      ],
    };
    const where: Table = {
      title: 'Where the JsVars go after the tap (E.getSizeOf, each object counted once)',
      columns: ['part', 'JsVars'],
      rows: [
        ['in use (process.memory().usage, garbage collected)', m.walk.usage],
        ['definitions: functions, classes, top-level names (bundle without main())', definitions],
        ...m.walk.parts.filter((p) => p.jsVars > 1).map((p) => [`main()'s ${p.name}`, p.jsVars] as [string, number]),
        ["  of these, the stand-in PN532's objects (test equipment, reached through main()'s bus and pn532)", m.standIn.heldVars],
        ['rest: MQTT module, timers, cards loaded since boot, console', m.walk.usage - definitions - objects],
        ...m.walk.largest.map((p) => [`  inside: ${sourcePath(p.name, original)}`, p.jsVars] as [string, number]),
      ],
    };
    return {
      tables: [peaks, where],
      notes: [
        'board memory: the exact bundle provisioned for a platform in this process; peaks are the highest process.memory(false).usage sampled at each stand-in PN532 call and every 50 ms on the console, so a peak inside one call is not seen.',
        `firmware JsVars leave out the stand-in PN532, test equipment a board does not have (its I2C1 is native): its objects (${m.standIn.heldVars} JsVars) and, at each of its calls, the called function's frame (up to ${m.standIn.frameVars}), both measured inside the interpreter at power-on, the call's figure read at the function's first statement; "with the stand-in PN532" is the whole interpreter, at stand-in calls read inside the stand-in with its temporaries.`,
        `board memory errors: ${m.errorFlags.length === 0 ? 'none' : m.errorFlags.join(', ')} (E.getErrorFlags()); Uncaught: ${m.uncaught.length}.`,
        `defined on use, not among the definitions (tools/firmware/lazy-parts.ts): ${Object.entries(built.lazyParts).map(([name, names]) => `${name} (${names.join(', ')})`).join('; ')}.`,
      ],
      figures: { total: m.total, afterBoot: m.afterBoot, bootPeak: m.bootPeak, downloadPeak: m.downloadPeak, tapPeak: m.tapPeak, peak: m.peak, goal: JSVAR_GOAL, withStandIn: m.withStandIn, standIn: m.standIn, definitions, parts: m.walk.parts, largest: m.walk.largest, usage: m.walk.usage },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
