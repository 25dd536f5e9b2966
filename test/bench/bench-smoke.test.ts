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

describe.each(Object.keys(BENCHES) as BenchName[])('bench %s in smoke mode', (name) => {
  it('produces a result with its machine, tables of full rows, and a JSON file that reads back', async () => {
    const r = await BENCHES[name]({ smoke: true });
    expectWellFormed(r, name);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-bench-smoke-'));
    const back = JSON.parse(fs.readFileSync(writeResult(r, dir), 'utf8')) as BenchResult;
    expect(back).toEqual(r);
    expect(renderResult(r)).toContain(r.tables[0].title);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe('bench figures that do not depend on time', () => {
  it('tap: a debit and a recharge are three APDUs each, with block operations on the card', async () => {
    const r = await BENCHES.tap({ smoke: true });
    const setups = r.figures.setups as Record<string, { debit: { apdusPerTap: number; cardBlocksPerTap: { des: number } }; recharge: { apdusPerTap: number } }>;
    for (const s of Object.values(setups)) {
      expect(s.debit.apdusPerTap).toBe(3);
      expect(s.recharge.apdusPerTap).toBe(3);
      expect(s.debit.cardBlocksPerTap.des).toBeGreaterThan(0);
    }
  }, 60_000);
});
