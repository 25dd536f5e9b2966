/**
 * tools/lua/build.ts on small throwaway cores: what it writes when the core is portable, and that
 * a lint finding, a type error or a typescript-to-lua diagnostic each fail it with nothing left
 * behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_NAME, buildLua, readRuntime } from '../../tools/lua/build';
import { runLuaEverywhere, SNIPPET_HELPERS } from './harness';

const BITS = `export function shr(x: number, n: number): number {
  return x >>> n;
}
`;

const CHECKSUM = `import { shr } from '../bits';

/** A CRC-16/CCITT-FALSE over a range: shifts, masks and a table-free loop. */
export function crc16(b: Uint8Array, off: number, len: number): number {
  let crc = 0xffff;
  for (let i = 0; i < len; i++) {
    crc = crc ^ (b[off + i] << 8);
    for (let k = 0; k < 8; k++) crc = (crc & 0x8000) !== 0 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export class Accumulator {
  private readonly out = new Uint8Array(2);
  put(value: number): Uint8Array {
    this.out[0] = shr(value, 8) & 0xff;
    this.out[1] = value & 0xff;
    return this.out;
  }
}
`;

/** A fresh core folder with the given files (paths relative to core/). */
function makeCore(files: Record<string, string>): { coreDir: string; outDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-lua-build-'));
  const coreDir = path.join(root, 'core');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(coreDir, name)), { recursive: true });
    fs.writeFileSync(path.join(coreDir, name), text);
  }
  return { coreDir, outDir: path.join(root, 'out') };
}

describe('Lua build', () => {
  it('compiles a portable core into modules and one bundle that runs under every interpreter', () => {
    const { coreDir, outDir } = makeCore({ 'bits.ts': BITS, 'util/checksum.ts': CHECKSUM });
    const result = buildLua({ coreDir, outDir });
    expect(result.problems).toEqual([]);
    expect(result.modules).toEqual(['core.bits', 'core.util.checksum']);
    expect(result.bundlePath).toBe(path.join(outDir, BUNDLE_NAME));
    // bits.ts is replaced: TSTL's `>>>` masks with 2^32-1, a float on 32-bit Lua.
    expect(fs.readFileSync(path.join(outDir, 'modules/core/bits.lua'), 'utf8')).toBe(readRuntime('bits.lua'));
    expect(fs.readFileSync(result.bundlePath, 'utf8')).not.toContain('4294967295');
    expect(fs.existsSync(path.join(outDir, 'modules/uint8array.lua'))).toBe(true);

    // "123456789" -> 0x29b1 is the CRC-16/CCITT-FALSE check value.
    const script = `${SNIPPET_HELPERS}
local m = require("core.util.checksum")
print(string.format("%04x", m.crc16(u8("313233343536373839"), 0, 9)))
print(hex(new(m.Accumulator):put(0x1234)))`;
    for (const run of runLuaEverywhere(script, result.bundlePath)) {
      expect(run.error).toBeUndefined();
      expect(run.output).toBe('29b1\n1234\n');
    }
  });

  it('fails on a portable-core lint finding and removes the previous output', () => {
    const { coreDir, outDir } = makeCore({ 'bits.ts': BITS, 'pow.ts': 'export const K = 2 ** 8;\n' });
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, BUNDLE_NAME), '-- stale');
    const result = buildLua({ coreDir, outDir });
    expect(result.problems).toEqual([expect.stringMatching(/pow\.ts:1: exponent: /)]);
    expect(result.modules).toEqual([]);
    expect(fs.existsSync(outDir)).toBe(false);
  });

  it('fails on a TypeScript type error', () => {
    const { coreDir, outDir } = makeCore({ 'bad.ts': 'export const n: number = "one";\n' });
    const result = buildLua({ coreDir, outDir });
    expect(result.problems).toEqual([expect.stringMatching(/bad\.ts:1: tsc\(2322\): /)]);
  });

  it('fails on a typescript-to-lua diagnostic the lint does not cover', () => {
    // `var` passes tsc and the lint; TSTL refuses it (function-scoped, not expressible in Lua).
    const { coreDir, outDir } = makeCore({ 'legacy.ts': 'export function f(): number {\n  var x = 1;\n  return x;\n}\n' });
    const result = buildLua({ coreDir, outDir });
    expect(result.problems).toEqual([expect.stringMatching(/legacy\.ts:2: tstl\(\d+\): `var` declarations are not supported/)]);
    expect(fs.existsSync(outDir)).toBe(false);
  });
});
