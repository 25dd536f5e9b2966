import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';
import { buildFirmware, MAX_BUNDLE_BYTES } from '../../tools/firmware/build-firmware';
import { ESPRUINO_GLOBALS } from '../../tools/firmware/global-scope';
import { LINE_TARGET } from '../../tools/firmware/espruino-compat';
import { checkEspruinoSyntax } from '../../tools/firmware/syntax-gate';
import { bootCheck } from '../../tools/firmware/boot-check';

const tmpOut = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fw-test-')), 'espruino.js');

/**
 * The whole firmware, built once for the suite (its first and last tests read it): a build takes
 * ~10 s alone and several times that on a loaded 2-core CI machine.
 */
let whole: { outFile: string; result: ReturnType<typeof buildFirmware> } | undefined;
function wholeFirmware(): { outFile: string; result: ReturnType<typeof buildFirmware> } {
  if (whole === undefined) {
    const outFile = tmpOut();
    whole = { outFile, result: buildFirmware({ outFile, buildLabel: 'test' }) };
  }
  return whole;
}

describe('firmware build (tools/firmware/build-firmware.ts)', () => {
  it('writes one ASCII script within 128 KB that passes the syntax gate, its top-level names clear of Espruino\'s globals', async () => {
    const { outFile, result: building } = wholeFirmware();
    const result = await building;
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    const code = fs.readFileSync(outFile, 'latin1');
    expect(code.length).toBe(result.bytes);
    expect(result.bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    expect(/^[\x09\x0a\x0d\x20-\x7e]*$/.test(code)).toBe(true);
    const program = parse(code, { ecmaVersion: 'latest', sourceType: 'script' });
    const topNames = program.body.flatMap((s) =>
      s.type === 'VariableDeclaration' ? s.declarations.map((d) => (d.id.type === 'Identifier' ? d.id.name : '')) : 'id' in s && s.id ? [s.id.name] : [],
    );
    expect(topNames.length).toBeGreaterThan(100);
    expect(topNames.filter((n) => n.length < 2 || ESPRUINO_GLOBALS.has(n))).toEqual([]);
    expect(checkEspruinoSyntax(code)).toEqual([]);
    expect(code).toContain('require("Storage")');
    expect(code).toContain('"test"');
    // An exception raised from Storage copies its source line into the stack text: lines stay short.
    const longest = Math.max(...code.split('\n').map((l) => l.length));
    expect(longest).toBeLessThan(3 * LINE_TARGET);
  }, 180_000);

  it('fails on a construct Espruino lacks, naming it, and writes nothing', async () => {
    const outFile = tmpOut();
    const result = await buildFirmware({ outFile, entry: path.join(__dirname, 'fixtures/labelled-loop.ts') });
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/espruino\.js:\d+:\d+: label: /);
    expect(fs.existsSync(outFile)).toBe(false);
  });

  it("writes the core's shr(x, n) as x >>> n, with the same values", async () => {
    const result = await buildFirmware({ outFile: tmpOut(), entry: path.join(__dirname, 'fixtures/inlined-shr.ts'), minify: false });
    expect(result.problems).toEqual([]);
    const printed: unknown[][] = [];
    new Function('print', result.code)((...values: unknown[]) => printed.push(values));
    expect(printed).toEqual([[0x7fff, 31]]);
    expect(result.code).toContain('print(2147418112 >>> 16, 255 >>> 3);');
    expect(result.code).not.toMatch(/function shr\b/);
  });

  it('fails when the bundle is over the size limit', async () => {
    const outFile = tmpOut();
    const result = await buildFirmware({ outFile, entry: path.join(__dirname, 'fixtures/inlined-shr.ts'), maxBytes: 10 });
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/over the 10-byte limit/);
    expect(fs.existsSync(outFile)).toBe(false);
  });
});

describe('boot check (tools/firmware/boot-check.ts)', () => {
  it('passes the built bundle and names what a broken one failed to print', async () => {
    const result = await wholeFirmware().result;
    expect(result.ok).toBe(true);
    expect(bootCheck(result.code)).toEqual([]);
    // a JSON field name the board reads, changed as a bad renaming would change it
    const broken = result.code.replace('"deviceId"', '"deviceIx"');
    expect(broken).not.toBe(result.code);
    expect(bootCheck(broken).join('\n')).toMatch(/did not print "device: boot-check"/);
  }, 180_000);
});
