/**
 * Keeps the benchmarks working: each runs in smoke mode (a handful of iterations) and must produce
 * a well-formed result. No figure is compared with a limit: benchmarks never pass or fail on time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCHES, type BenchName } from '../../bench/benches';
import { renderResult, writeResult, type BenchResult } from '../../bench/_report';
import { BUDGET_UNITS } from '../../bench/_interpreter-speed';
import { espruinoBinary } from '../../bench/_interpreter-se';
import { ciRequiresAll, requireDebian } from '../helpers/skip';

function expectWellFormed(r: BenchResult, name: string): void {
  expect(r.bench).toBe(name);
  expect(r.smoke).toBe(true);
  expect(r.machine.cores).toBeGreaterThan(0);
  expect(r.machine.node).toMatch(/^v\d+/);
  expect(Number.isNaN(Date.parse(r.machine.date))).toBe(false);
  expect(r.tables.length).toBeGreaterThan(0);
  for (const t of r.tables) {
    expect(t.rows.length).toBeGreaterThan(0);
    for (const row of t.rows) expect(row.length).toBe(t.columns.length);
  }
}

/**
 * One smoke run per bench, shared by the well-formedness test and the figures tests below: the
 * firmware and platform benches take a minute or more each, and CI has them once.
 */
const runs = new Map<BenchName, Promise<BenchResult>>();
function smokeRun(name: BenchName): Promise<BenchResult> {
  let run = runs.get(name);
  if (run === undefined) {
    run = BENCHES[name]({ smoke: true });
    runs.set(name, run);
  }
  return run;
}

describe.each(Object.keys(BENCHES) as BenchName[])('bench %s in smoke mode', (name) => {
  it('produces a result with its machine, tables of full rows, and a JSON file that reads back', async () => {
    const r = await smokeRun(name);
    expectWellFormed(r, name);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-bench-smoke-'));
    const back = JSON.parse(fs.readFileSync(writeResult(r, dir), 'utf8')) as BenchResult;
    expect(back).toEqual(r);
    expect(renderResult(r)).toContain(r.tables[0].title);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});

describe('bench figures that do not depend on time', () => {
  it('firmware: on the real interpreter, every budgeted command has ms and loop units, and the SE its JsVars; without it, a SKIPPED note', async () => {
    const r = await smokeRun('firmware');
    if (espruinoBinary() === null) {
      if (ciRequiresAll()) throw new Error('FAILED: the firmware bench needs TAPCARD_ESPRUINO; CI=1/TAPCARD_REQUIRE_ALL=1 forbids skipping');
      expect(r.notes[0]).toMatch(/^SKIPPED: real-interpreter speed and memory \(set TAPCARD_ESPRUINO/);
      return;
    }
    // The real interpreter's tables come first: speed, then the SE's JsVars.
    const [speed, memory] = r.tables;
    const budgeted = speed.rows.filter((r) => r[1] !== '-');
    expect(budgeted.map((r) => r[1]).sort()).toEqual([BUDGET_UNITS.select, BUDGET_UNITS.select, BUDGET_UNITS.loadBlock, BUDGET_UNITS.transitDebit].sort());
    for (const row of speed.rows) {
      const [ms, flashMs, units, withoutFlash] = row.slice(2, 6) as number[];
      expect(ms).toBeGreaterThan(0);
      expect(flashMs).toBeLessThanOrEqual(ms);
      expect(withoutFlash).toBeLessThanOrEqual(units);
    }
    const booted = memory.rows[0][1] as number;
    expect(booted).toBeGreaterThan(0);
    expect(memory.rows[1][1] as number).toBeGreaterThanOrEqual(booted - 500);
  }, 300_000);

  it('tap: a debit and a recharge are three APDUs each, with block operations on the card', async () => {
    const r = await smokeRun('tap');
    const setups = r.figures.setups as Record<string, { debit: { apdusPerTap: number; cardBlocksPerTap: { des: number } }; recharge: { apdusPerTap: number } }>;
    for (const s of Object.values(setups)) {
      expect(s.debit.apdusPerTap).toBe(3);
      expect(s.recharge.apdusPerTap).toBe(3);
      expect(s.debit.cardBlocksPerTap.des).toBeGreaterThan(0);
    }
  }, 60_000);

  it('download: the end-to-end run loads the same bytes as the raw install, in 140-octet segments both ways', async () => {
    const r = await smokeRun('download');
    const downloads = r.figures.downloads as { packageBytes: number; e2e: { blocks: number; segmentsDown: number; segmentsUp: number; octets: number }; rawFile: { blocks: number } }[];
    expect(downloads.length).toBeGreaterThan(0);
    for (const d of downloads) {
      expect(d.e2e.blocks).toBe(d.rawFile.blocks);
      // Every LOAD block (239 bytes) is more than one segment, so the package alone needs more segments than bytes / 140.
      expect(d.e2e.segmentsDown).toBeGreaterThan(Math.ceil(d.packageBytes / 140));
      expect(d.e2e.segmentsUp).toBeGreaterThan(d.e2e.blocks);
      expect(d.e2e.octets).toBeLessThanOrEqual(140 * (d.e2e.segmentsDown + d.e2e.segmentsUp));
    }
  }, 120_000);

  it('platform: every terminal ends its job, and the bare broker carries exactly the messages the flows sent', async () => {
    const r = await smokeRun('platform');
    const fleets = r.figures.fleets as { terminals: number; workers: number; messages: number; octets: number; bare: { messages: number; octets: number } }[];
    const withWorkers = !requireDebian('platform bench on workers', ['mosquitto', 'postgresql']);
    expect(fleets.map((f) => f.workers)).toEqual(withWorkers ? [0, 2] : [0]);
    for (const f of fleets) {
      expect(f.messages).toBeGreaterThan(0);
      expect(f.messages % f.terminals).toBe(0);
      expect(f.bare.messages).toBe(f.messages);
      expect(f.bare.octets).toBe(f.octets);
    }
    // Embedded, then 2 workers with a private PostgreSQL and mosquitto.
  }, 240_000);
});
