/**
 * What every benchmark hands back and how it is shown: a few tables (printed) and the same data as
 * JSON under bench/results/NAME.json, stamped with the machine it ran on. Benchmarks report
 * figures; nothing here compares a figure with a limit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

export interface Machine {
  cpu: string;
  cores: number;
  memoryMB: number;
  platform: string;
  node: string;
  date: string;
}

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface BenchResult {
  bench: string;
  /** true when run with a handful of iterations (CI smoke); figures are then not meaningful. */
  smoke: boolean;
  machine: Machine;
  tables: Table[];
  /** Plain statements about what was and was not measured. */
  notes: string[];
  /** The raw figures, keyed by setup, for scripts. */
  figures: Record<string, unknown>;
}

export interface BenchOptions {
  smoke: boolean;
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memoryMB: Math.round(os.totalmem() / 1048576),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function maxOf(samples: number[]): number {
  return samples.reduce((m, x) => (x > m ? x : m), -Infinity);
}

/** Rounds for display: integers and values from 1000 up as they are, 1 decimal from 10, 3 below. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (Number.isInteger(x) || a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(3);
}

export function renderTable(t: Table): string {
  const cells = t.rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = t.columns.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [`${t.title}`, '', line(t.columns), sep, ...cells.map(line)].join('\n');
}

export function renderMachine(m: Machine): string {
  return `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryMB} MB, ${m.platform}, node ${m.node}, ${m.date}`;
}

export function renderResult(r: BenchResult): string {
  const parts = [`## ${r.bench}${r.smoke ? ' (smoke run: figures not meaningful)' : ''}`, ''];
  for (const t of r.tables) parts.push(renderTable(t), '');
  for (const n of r.notes) parts.push(`- ${n}`);
  if (r.notes.length > 0) parts.push('');
  parts.push(renderMachine(r.machine));
  return parts.join('\n');
}

export function writeResult(r: BenchResult, dir = RESULTS_DIR): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${r.bench}.json`);
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

/** Milliseconds since an origin from process.hrtime.bigint(). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
