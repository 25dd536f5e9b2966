/**
 * The hand-written Lua runtime of the core build (firmware/lua) and the two interpreters it is
 * checked under (docs/portable-core.md "The Lua build"): fengari must have NodeMCU's 32-bit integers, the Uint8Array
 * class must behave like JavaScript's on everything the core uses, and bits.shr like `>>>` on
 * the values the core allows.
 */
import { describe, expect, it } from 'vitest';
import { requireDebian } from '../helpers/skip';
import { runFengari, runLua53, runLuaEverywhere, runtimeBundle } from './harness';

// fengari always runs; the native runs skip (or fail under CI) without Debian's lua5.3.
const SKIP_LUA53 = requireDebian('Lua runtime under lua5.3', ['lua5.3']);

/** A Lua body returning one value, and the same operation on a real Uint8Array. */
interface Probe {
  name: string;
  lua: string;
  js: () => unknown;
}

const u8 = (n: number): Uint8Array => new Uint8Array(n);

const PROBES: Probe[] = [
  { name: 'store 300 keeps the low byte', lua: 'local b = U(1); b[0] = 300; return b[0]', js: () => { const b = u8(1); b[0] = 300; return b[0]; } },
  { name: 'store -1', lua: 'local b = U(1); b[0] = -1; return b[0]', js: () => { const b = u8(1); b[0] = -1; return b[0]; } },
  { name: 'store 2.7 truncates', lua: 'local b = U(1); b[0] = 2.7; return b[0]', js: () => { const b = u8(1); b[0] = 2.7; return b[0]; } },
  { name: 'store -2.7 truncates toward zero', lua: 'local b = U(1); b[0] = -2.7; return b[0]', js: () => { const b = u8(1); b[0] = -2.7; return b[0]; } },
  { name: 'store NaN', lua: 'local b = U(1); b[0] = 7; b[0] = 0/0; return b[0]', js: () => { const b = u8(1); b[0] = 7; b[0] = NaN; return b[0]; } },
  { name: 'store infinity', lua: 'local b = U(1); b[0] = 7; b[0] = math.huge; return b[0]', js: () => { const b = u8(1); b[0] = 7; b[0] = Infinity; return b[0]; } },
  { name: 'store 2^40 + 5 (a float on 32-bit Lua)', lua: 'local b = U(1); b[0] = 2^40 + 5; return b[0]', js: () => { const b = u8(1); b[0] = 2 ** 40 + 5; return b[0]; } },
  { name: 'index given as an integral float', lua: 'local b = U(3); b[4 / 2] = 9; return b[2]', js: () => { const b = u8(3); b[4 / 2] = 9; return b[2]; } },
  { name: 'write past the end is ignored', lua: 'local b = U(2); b[2] = 1; b[-1] = 1; return tostring(b)', js: () => { const b = u8(2); b[2] = 1; b[-1] = 1; return String(b); } },
  { name: 'read past the end', lua: 'local b = U(2); return b[2]', js: () => u8(2)[2] },
  { name: 'read at -1', lua: 'local b = U(2); return b[-1]', js: () => u8(2)[-1] },
  { name: 'read at 0.5', lua: 'local b = U(2); return b[0.5]', js: () => u8(2)[0.5] },
  { name: 'length', lua: 'return U(5).length', js: () => u8(5).length },
  { name: 'length from a float', lua: 'return U(5 / 2).length', js: () => u8(5 / 2).length },
  { name: 'fresh buffers are zero', lua: 'return tostring(U(3))', js: () => String(u8(3)) },
  { name: 'from an array literal', lua: 'return tostring(__TS__New(Uint8Array, {1, 256, -1, 0x7f}))', js: () => String(new Uint8Array([1, 256, -1, 0x7f])) },
  { name: 'subarray(1, 3)', lua: 'return tostring(seq(5):subarray(1, 3))', js: () => String(seq(5).subarray(1, 3)) },
  { name: 'subarray(-2)', lua: 'return tostring(seq(5):subarray(-2))', js: () => String(seq(5).subarray(-2)) },
  { name: 'subarray() is the whole', lua: 'return tostring(seq(5):subarray())', js: () => String(seq(5).subarray()) },
  { name: 'subarray(3, 1) is empty', lua: 'return seq(5):subarray(3, 1).length', js: () => seq(5).subarray(3, 1).length },
  { name: 'subarray(1, -1)', lua: 'return tostring(seq(5):subarray(1, -1))', js: () => String(seq(5).subarray(1, -1)) },
  { name: 'subarray(-10, 100) clamps', lua: 'return tostring(seq(5):subarray(-10, 100))', js: () => String(seq(5).subarray(-10, 100)) },
  {
    name: 'a view writes into its parent, and a view of a view too',
    lua: 'local p = seq(6); local v = p:subarray(1, 5); local w = v:subarray(2); v[0] = 0xaa; w[1] = 0xbb; w[2] = 0xcc; return tostring(p)',
    js: () => { const p = seq(6); const v = p.subarray(1, 5); const w = v.subarray(2); v[0] = 0xaa; w[1] = 0xbb; w[2] = 0xcc; return String(p); },
  },
  { name: 'set(source, 2)', lua: 'local b = U(5); b:set(seq(2), 2); return tostring(b)', js: () => { const b = u8(5); b.set(seq(2), 2); return String(b); } },
  { name: 'set(source) at 0', lua: 'local b = U(3); b:set(seq(3)); return tostring(b)', js: () => { const b = u8(3); b.set(seq(3)); return String(b); } },
  {
    name: 'set from an overlapping view of the same bytes copies like memmove, both ways',
    lua: 'local a = seq(6); a:set(a:subarray(0, 4), 2); local b = seq(6); b:set(b:subarray(2), 0); return tostring(a) .. " " .. tostring(b)',
    js: () => { const a = seq(6); a.set(a.subarray(0, 4), 2); const b = seq(6); b.set(b.subarray(2), 0); return `${String(a)} ${String(b)}`; },
  },
  {
    name: 'set past the end throws RangeError',
    lua: 'local ok, e = pcall(function() U(3):set(seq(2), 2) end); return (not ok) and tostring(e):match("RangeError") or "no error"',
    js: () => { try { u8(3).set(seq(2), 2); return 'no error'; } catch (e) { return (e as Error).name; } },
  },
  { name: 'fill(0x1ff, 1, 3) stores like b[i] = 0x1ff', lua: 'return tostring(seq(5):fill(0x1ff, 1, 3))', js: () => String(seq(5).fill(0x1ff, 1, 3)) },
  { name: 'fill(7) fills the whole', lua: 'return tostring(U(3):fill(7))', js: () => String(u8(3).fill(7)) },
  { name: 'fill(9, -2) counts from the end', lua: 'return tostring(seq(5):fill(9, -2))', js: () => String(seq(5).fill(9, -2)) },
  { name: 'fill of a view stays inside it', lua: 'local p = seq(5); p:subarray(1, 3):fill(0); return tostring(p)', js: () => { const p = seq(5); p.subarray(1, 3).fill(0); return String(p); } },
  {
    name: 'negative length throws RangeError',
    lua: 'local ok, e = pcall(U, -1); return (not ok) and tostring(e):match("RangeError") or "no error"',
    js: () => { try { u8(-1); return 'no error'; } catch (e) { return (e as Error).name; } },
  },
];

function seq(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i + 1;
  return b;
}

const PRELUDE = `
local function U(n) return __TS__New(Uint8Array, n) end
function __TS__New(class, ...) local o = setmetatable({}, class.prototype); o:____constructor(...); return o end
local function seq(n) local b = U(n); for i = 0, n - 1 do b[i] = i + 1 end; return b end
`;

describe('Lua interpreters', () => {
  it('fengari has 32-bit integers like NodeMCU (math.maxinteger = 2^31 - 1)', () => {
    const run = runFengari(runtimeBundle(), 'print(math.maxinteger, math.maxinteger + 1 == math.mininteger, _VERSION)');
    expect(run).toEqual({ interpreter: 'fengari', output: '2147483647\ttrue\tLua 5.3\n' });
  });

  it.skipIf(SKIP_LUA53)('lua5.3 has 64-bit integers', () => {
    const run = runLua53(runtimeBundle(), 'print(math.maxinteger, _VERSION)');
    expect(run).toEqual({ interpreter: 'lua5.3', output: '9223372036854775807\tLua 5.3\n' });
  });

  it('reports an uncaught error with a traceback and keeps the output printed before it', () => {
    for (const run of runLuaEverywhere('print("before")\nerror("boom")', runtimeBundle())) {
      expect(run.output).toBe('before\n');
      expect(run.error).toMatch(/boom/);
      expect(run.error).toMatch(/stack traceback/);
    }
  });
});

describe('firmware/lua/uint8array.lua', () => {
  it.each(PROBES.map((p) => p.name))('matches JavaScript: %s', (name) => {
    const probe = PROBES.find((p) => p.name === name)!;
    const expected = probe.js() === undefined ? 'nil' : String(probe.js());
    const script = PRELUDE + `print(tostring((function() ${probe.lua} end)()))`;
    for (const run of runLuaEverywhere(script, runtimeBundle())) {
      expect(run.error).toBeUndefined();
      expect(run.output).toBe(expected + '\n');
    }
  });

  it('#b is the length and indexing never creates raw numeric keys', () => {
    const script = PRELUDE + 'local b = U(4); b[1] = 5; print(#b, rawget(b, 1), b[1])';
    for (const run of runLuaEverywhere(script, runtimeBundle())) expect(run.output).toBe('4\tnil\t5\n');
  });

  it('refuses to store a non-number instead of coercing it', () => {
    const script = PRELUDE + 'local b = U(1); local ok, e = pcall(function() b[0] = "7" end); print(ok, e:match("cannot store a string") ~= nil)';
    for (const run of runLuaEverywhere(script, runtimeBundle())) expect(run.output).toBe('false\ttrue\n');
  });
});

describe('firmware/lua/bits.lua', () => {
  const values = [0, 1, 0x80, 0xff, 0x1234, 0x12345678, 0x7f000000, 0x7fffffff];
  const shifts = [0, 1, 4, 7, 8, 16, 24, 30, 31];

  it('shr equals >>> for every value 0..2^31-1 the core may shift', () => {
    const expected = values.flatMap((x) => shifts.map((n) => String(x >>> n))).join('\n') + '\n';
    const script = `local shr = require("core.bits").shr
for _, x in ipairs({${values.join(', ')}}) do for _, n in ipairs({${shifts.join(', ')}}) do print(shr(x, n)) end end`;
    for (const run of runLuaEverywhere(script, runtimeBundle())) {
      expect(run.error).toBeUndefined();
      expect(run.output).toBe(expected);
    }
  });

  it('refuses a negative value, where 32- and 64-bit Lua would disagree', () => {
    const script = 'local ok, e = pcall(require("core.bits").shr, -1, 4); print(ok, e:match("negative value") ~= nil)';
    for (const run of runLuaEverywhere(script, runtimeBundle())) expect(run.output).toBe('false\ttrue\n');
  });
});
