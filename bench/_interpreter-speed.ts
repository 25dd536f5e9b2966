/**
 * The firmware bench's real-interpreter part: the SE's time per command on Espruino 2v29
 * (TAPCARD_ESPRUINO), in ms and in loop units (one iteration of an empty for loop timed in the same
 * run), against the speed budgets, and the SE's JsVars. Times are the interpreter thread's CPU time
 * (cpu-clock.c); each figure is the median of several runs of the same transcript, and the loop
 * unit the median of the runs' own; interpreter time is shown apart from the time in Storage calls
 * (flash), which loop units do not carry to a board.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProbe, ESPRUINO_ENV, espruinoBinary, recordTranscript, replay, type CodePlace, type Phase, type ProbeRun, type Step } from './_interpreter-se';
import type { Table } from './_report';

/** The budgets, in loop units. */
export const BUDGET_UNITS = { select: 1500, transitDebit: 6000, loadBlock: 4000 };

/** A row of the speed table: which transcript steps it sums (a median when several match per tap or block). */
interface Row {
  label: string;
  budget: number | null;
  /** Each part: the phase and command, and which of the matching steps (median of all but the last, the last, or the first). */
  parts: { phase: Phase; name: string; pick: 'first' | 'median-but-last' | 'last' | 'median' }[];
}

const ROWS: Row[] = [
  { label: 'SELECT of the ISD', budget: BUDGET_UNITS.select, parts: [{ phase: 'open', name: 'SELECT', pick: 'first' }] },
  { label: 'INITIALIZE UPDATE (SCP03)', budget: null, parts: [{ phase: 'open', name: 'INITIALIZE', pick: 'first' }] },
  { label: 'EXTERNAL AUTHENTICATE (SL 33)', budget: null, parts: [{ phase: 'open', name: 'EXTERNAL AUTHENTICATE', pick: 'first' }] },
  { label: 'LOAD block at SL 33 (median)', budget: BUDGET_UNITS.loadBlock, parts: [{ phase: 'install', name: 'LOAD', pick: 'median-but-last' }] },
  { label: 'last LOAD block (commits the package)', budget: null, parts: [{ phase: 'install', name: 'LOAD', pick: 'last' }] },
  { label: 'INSTALL [for install]', budget: null, parts: [{ phase: 'install', name: 'INSTALL', pick: 'last' }] },
  { label: 'SELECT of the transit card', budget: BUDGET_UNITS.select, parts: [{ phase: 'tap', name: 'SELECT', pick: 'median' }] },
  { label: 'INITIALIZE FOR PURCHASE', budget: null, parts: [{ phase: 'tap', name: 'INITIALIZE', pick: 'median' }] },
  { label: 'DEBIT FOR PURCHASE', budget: null, parts: [{ phase: 'tap', name: 'DEBIT FOR PURCHASE', pick: 'median' }] },
  {
    label: 'transit debit (the three above)',
    budget: BUDGET_UNITS.transitDebit,
    parts: [
      { phase: 'tap', name: 'SELECT', pick: 'median' },
      { phase: 'tap', name: 'INITIALIZE', pick: 'median' },
      { phase: 'tap', name: 'DEBIT FOR PURCHASE', pick: 'median' },
    ],
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

/** Per step, the median of the runs (time and flash time, each its own median). */
function medianOfRuns(runs: ProbeRun[]): { seconds: number; flashSeconds: number }[] {
  return runs[0].steps.map((_, i) => ({
    seconds: median(runs.map((r) => r.steps[i].seconds)),
    flashSeconds: median(runs.map((r) => r.steps[i].flashSeconds)),
  }));
}

interface Figure {
  ms: number;
  flashMs: number;
  units: number;
  unitsWithoutFlash: number;
}

function rowFigure(row: Row, steps: Step[], best: { seconds: number; flashSeconds: number }[], loopSeconds: number): Figure {
  let seconds = 0;
  let flash = 0;
  for (const part of row.parts) {
    const idx = steps.map((s, i) => (s.phase === part.phase && s.name === part.name ? i : -1)).filter((i) => i >= 0);
    const chosen = part.pick === 'first' ? idx.slice(0, 1) : part.pick === 'last' ? idx.slice(-1) : part.pick === 'median-but-last' ? idx.slice(0, -1) : idx;
    seconds += median(chosen.map((i) => best[i].seconds));
    flash += median(chosen.map((i) => best[i].flashSeconds));
  }
  return { ms: seconds * 1000, flashMs: flash * 1000, units: seconds / loopSeconds, unitsWithoutFlash: (seconds - flash) / loopSeconds };
}

export interface InterpreterSection {
  tables: Table[];
  notes: string[];
  figures: Record<string, unknown>;
}

const PLACES: { place: CodePlace; title: string }[] = [
  { place: 'ram', title: 'code in RAM' },
  { place: 'storage', title: 'code in Storage (.bootcde)' },
];

/** Measures on the interpreter, or says plainly that it was skipped. */
export async function interpreterSection(smoke: boolean, progress: (line: string) => void): Promise<InterpreterSection> {
  const espruino = espruinoBinary();
  if (espruino === null) {
    const why = `SKIPPED: real-interpreter speed and memory (set ${ESPRUINO_ENV} to the binary ../shared/vendor/espruino/build.sh prints)`;
    progress(why);
    return { tables: [], notes: [why], figures: { skipped: why } };
  }
  const taps = smoke ? 1 : 5;
  const repeats = smoke ? 1 : 5;
  progress('firmware: recording the SE transcript on the host');
  const steps = await recordTranscript(taps);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-bench-interpreter-'));
  try {
    const probeFile = path.join(dir, 'probe.js');
    progress('firmware: building the SE probe');
    await buildProbe(probeFile);
    const runs: Record<CodePlace, ProbeRun[]> = { ram: [], storage: [] };
    for (const { place, title } of PLACES) {
      for (let r = 0; r < repeats; r++) {
        progress(`firmware: interpreter run ${r + 1}/${repeats}, ${title}: ${steps.length} APDUs`);
        runs[place].push(replay(espruino, dir, probeFile, steps, place));
      }
    }
    return report(steps, runs, repeats);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(steps: Step[], runs: Record<CodePlace, ProbeRun[]>, repeats: number): InterpreterSection {
  const loop = (place: CodePlace) => median(runs[place].map((r) => r.loopSeconds));
  const figures: Record<CodePlace, Figure[]> = { ram: [], storage: [] };
  for (const { place } of PLACES) figures[place] = ROWS.map((row) => rowFigure(row, steps, medianOfRuns(runs[place]), loop(place)));
  const speed: Table = {
    title: 'SE speed on the real interpreter (SecureElement.transceive, no PN532)',
    columns: ['command', 'budget (units)', 'ms', 'flash ms', 'units', 'units w/o flash', 'Storage: ms', 'Storage: units'],
    rows: ROWS.map((row, i) => {
      const ram = figures.ram[i];
      const st = figures.storage[i];
      return [row.label, row.budget === null ? '-' : row.budget, ram.ms, ram.flashMs, ram.units, ram.unitsWithoutFlash, st.ms, st.units];
    }),
  };
  // Memory as the board holds it: the probe in Storage (its code stays in flash).
  const board = runs.storage[0];
  const peak = (phases: Phase[]) => Math.max(...board.steps.filter((s) => phases.includes(s.phase)).map((s) => s.jsVars));
  const memory: Table = {
    title: 'SE JsVars on the real interpreter (code in Storage, as on the board)',
    columns: ['figure', 'JsVars'],
    rows: [
      ['in use after the SE booted', board.bootJsVars],
      ['highest after an APDU of the download (SCP03 SL 33, LOAD, INSTALL)', peak(['open', 'install'])],
      ['highest after an APDU of a tap (SELECT, INITIALIZE FOR PURCHASE, DEBIT)', peak(['tap'])],
      ...board.sizes.map((s): (string | number)[] => [`E.getSizeOf: ${s.name}`, s.jsVars]),
    ],
  };
  const notes = [
    `loop unit: one iteration of \`for (let i = 0; i < n; i++) {}\` in the probe's own code, fastest of several timings in a run, median over the runs: ${(loop('ram') * 1e6).toFixed(2)} us from RAM, ${(loop('storage') * 1e6).toFixed(2)} us from Storage.`,
    `times: the interpreter thread's CPU time (getTime() answered by host/interpreter/cpu-clock.c), so other load on the machine counts little; each figure is the median of ${repeats} run(s) of one transcript recorded on the host (${steps.length} APDUs; every response checked against the host's); medians over the ${steps.filter((s) => s.phase === 'tap' && s.name === 'SELECT').length} taps and the LOAD blocks.`,
    'ms, flash ms, units: code in RAM (evaluated statement by statement, as an upload to RAM does): the interpreter\'s own cost, which loop units carry to an ESP32, whose flash is memory-mapped. flash ms: time inside Storage calls (read, readArrayBuffer, write, erase); on this Linux build Storage is a file (fopen per call, a 4 KB copy per readArrayBuffer), on an ESP32 reads are mapped and writes are SPI flash programs: not carried by loop units.',
    'Storage: the same code run from .bootcde, as the board boots it; the Linux build reads code from Storage 16 bytes per file read, so these figures are far above an ESP32\'s.',
    'memory: the SE alone (no PN532 driver, no link, no MCU), JsVars in use sampled after each APDU (process.memory(false).usage), not within it; E.getSizeOf counts parts shared between objects in each.',
    'PN532: not in these figures (the SE is called directly), so there is no stand-in PN532 time to take apart; the board\'s PN532 link adds its own time per APDU.',
  ];
  return {
    tables: [speed, memory],
    notes,
    figures: {
      loopSeconds: { ram: loop('ram'), storage: loop('storage') },
      rows: ROWS.map((row, i) => ({ label: row.label, budgetUnits: row.budget, ram: figures.ram[i], storage: figures.storage[i] })),
      memory: { bootJsVars: board.bootJsVars, downloadPeak: peak(['open', 'install']), tapPeak: peak(['tap']), sizes: board.sizes },
    },
  };
}
