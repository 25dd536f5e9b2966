/**
 * The portable-core lint (tools/lua/lint.ts, docs/portable-core.md): each rule fires on a small
 * bad snippet at the right line, and portable code passes untouched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatFinding, lintCore, type LintFinding } from '../../tools/lua/lint';

// file name -> source. Lines that must be reported end with `// <rule>`.
const SNIPPETS: Record<string, string> = {
  'bits.ts': `export function shr(x: number, n: number): number {
  return x >>> n; // exempt: the per-runtime helper
}
`,
  'shift.ts': `export function f(x: number): number {
  let y = x >> 2; // shift-right
  y >>= 1; // shift-right
  return y + (x >>> 1); // shift-right
}
`,
  'exponent.ts': `export const K = 2 ** 8; // exponent
`,
  'literal.ts': `export const MASK = 0xffffffff; // big-literal
export const LARGEST = 0x7fffffff;
export const BIG = 2147483648; // big-literal
`,
  'truthiness.ts': `export function f(n: number, s: string, opt: number | undefined, flag: boolean, o: object | undefined): number {
  if (n) return 1; // truthiness
  while (opt) opt = 0; // truthiness
  const a = s ? 1 : 2; // truthiness
  const b = !n; // truthiness
  const c = s || 'x'; // truthiness
  if (flag && n) return a; // truthiness
  if (flag && o !== undefined && n !== 0 && s !== '') return 3;
  if (o) return 4;
  const d = flag ? n : 0;
  for (let i = 0; i < n; i++) if (!flag) return i;
  return b ? c.length + d : 0;
}
`,
  'globals.ts': `export const m = new Map<string, number>(); // es6-global
export const s = new Set<number>(); // es6-global
export const k = Symbol('k'); // es6-global
export const w = new WeakMap<object, number>(); // es6-global
`,
  'destructuring.ts': `export function f(o: { a: number; b: number }, arr: number[]): number {
  const { a, b } = o; // destructuring
  const [x, y] = arr; // destructuring
  let p = 1;
  let q = 2;
  [p, q] = [q, p]; // destructuring
  return a + b + x + y + p + q;
}
`,
  'spread.ts': `export function f(xs: number[], o: { a: number }): number {
  const copy = [...xs]; // spread
  const o2 = { ...o }; // spread
  return Math.max(...copy) + o2.a; // spread
}
`,
  'params.ts': `export function rest(...xs: number[]): number { // rest-parameter
  return xs.length;
}
export function withDefault(a: number, b = 2): number { // default-parameter
  return a + b;
}
export function optional(a: number, b?: number): number {
  return b === undefined ? a : a + b;
}
`,
  'async.ts': `export async function f(g: () => Promise<number>): Promise<number> { // async
  return await g(); // async
}
`,
  'generator.ts': `export function* count(): Generator<number> { // generator
  yield 1; // generator
}
`,
  'loops.ts': `export function sum(b: Uint8Array, o: { [k: string]: number }): number {
  let s = 0;
  for (const v of b) s = s + v; // for-of
  for (const k in o) s = s + o[k]; // for-in
  for (let i = 0; i < b.length; i++) s = s + b[i];
  return s;
}
`,
  'optional.ts': `export function f(o: { a?: { b: number }; list?: number[]; cb?: () => number }): number {
  const x = o.a?.b; // optional-chaining
  const y = o.list?.[0]; // optional-chaining
  const z = o.cb?.(); // optional-chaining
  return (x === undefined ? 0 : x) + (y === undefined ? 0 : y) + (z === undefined ? 0 : z);
}
`,
  'buffers.ts': `export function f(b: Uint8Array, list: number[]): number {
  const head = b.slice(0, 2); // uint8array
  b.fill(0, 1, 2);
  b.set(b.subarray(0, 1), 1);
  b.copyWithin(0, 1); // uint8array
  const c = Uint8Array.from(list); // uint8array
  const d = new Uint8Array(b); // uint8array
  const e = new Uint8Array(list); // uint8array
  const view = b.subarray(1, 3);
  const ok = new Uint8Array([0xa0, 0x00, 0x01]);
  const sized = new Uint8Array(view.length + 2);
  return c.length + d.length + e.length + ok.length + sized.length + b.byteLength; // uint8array
}
`,
  'platform.ts': `export function f(): void {
  console.log('x'); // platform-global
  setTimeout(f, 1); // platform-global
  const e = process.env; // platform-global
  const b = Buffer.from('x'); // platform-global
  const m = require('fs'); // platform-global
  void e; void b; void m;
}
`,
  'shadowing.ts': `export function f(console: { log(s: string): void }): void {
  console.log('a parameter named console is not the platform console');
}
`,
  'regex.ts': `export function f(s: string): boolean {
  const r = new RegExp('a+'); // regex
  return /^[0-9]+$/.test(s) || r.test(s); // regex
}
`,
  'equality.ts': `export function f(a: number, b: number | null): boolean {
  if (a == 1) return true; // loose-equality
  return b != null; // loose-equality
}
`,
  'division.ts': `export function f(n: number, a: number, b: number): number {
  const half = n / 2; // division
  let q = n;
  q /= 4; // division
  return half + q + Math.floor(n / 2) + Math.floor((a + b) / 2) + Math.ceil(a / b);
}
`,
  // Portable code in the style of the core: nothing to report.
  'good.ts': `import { shr } from './bits';

const TABLE = new Uint8Array([0x63, 0x7c, 0x77]);

export class Counter {
  private readonly buf = new Uint8Array(4);
  private count = 0;

  bump(step: number): boolean {
    if ((step & 1) !== 0 && this.count < 0x7fffffff) this.count = this.count + step;
    this.buf[0] = shr(this.count, 24) & 0xff;
    this.buf[3] = this.count & 0xff;
    return this.count !== 0;
  }

  half(): number {
    return Math.floor(this.count / 2) + TABLE[this.count % 3];
  }

  view(): Uint8Array {
    return this.buf.subarray(1, this.buf.length);
  }
}

export function describe(sw: number, text: string | undefined): string {
  const known = text !== undefined && text !== '';
  return known ? text + ' ' + sw : 'unknown ' + (sw & 0xff);
}
`,
};

/** The rule named in a trailing `// rule` comment on each line, with its 1-based line number. */
function expectedFindings(file: string): { line: number; rule: string }[] {
  const out: { line: number; rule: string }[] = [];
  SNIPPETS[file].split('\n').forEach((text, i) => {
    const m = /\/\/ ([a-z0-9-]+)$/.exec(text);
    if (m !== null && m[1] !== 'exempt') out.push({ line: i + 1, rule: m[1] });
  });
  return out;
}

describe('portable-core lint', () => {
  let findings: LintFinding[];
  let dir: string;

  beforeAll(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-lint-')), 'core');
    fs.mkdirSync(dir);
    for (const [name, text] of Object.entries(SNIPPETS)) fs.writeFileSync(path.join(dir, name), text);
    findings = lintCore(dir);
  }, 60_000);

  const found = (file: string): { line: number; rule: string }[] =>
    findings
      .filter((f) => path.basename(f.file) === file)
      .map((f) => ({ line: f.line, rule: f.rule }))
      .filter((f, i, all) => all.findIndex((g) => g.line === f.line && g.rule === f.rule) === i);

  const badFiles = Object.keys(SNIPPETS).filter((f) => expectedFindings(f).length > 0);

  it.each(badFiles)('%s: reports exactly the marked lines with their rule', (file) => {
    expect(found(file)).toEqual(expectedFindings(file));
  });

  it.each(['good.ts', 'shadowing.ts', 'bits.ts'])('%s: portable code (and the exempt shift helper) passes', (file) => {
    expect(found(file)).toEqual([]);
  });

  it('prints file:line: rule: message', () => {
    const f = findings.find((x) => x.rule === 'exponent')!;
    expect(formatFinding(f)).toMatch(/exponent\.ts:1: exponent: \*\* is missing on Espruino/);
  });
});
