import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ownedPropertyNames } from '../../tools/firmware/owned-names';
import { shortNameMap } from '../../tools/firmware/short-names';

const dir = path.join(__dirname, 'fixtures/owned');

function analyse() {
  const program = ts.createProgram([path.join(dir, 'code.ts')], { target: ts.ScriptTarget.ES2015, strict: true, types: [], lib: ['lib.es2022.d.ts'] });
  return ownedPropertyNames(program, (f) => path.resolve(f) === path.join(dir, 'code.ts'));
}

describe('owned property names (tools/firmware/owned-names.ts)', () => {
  it('renames class members and tables only read as CONST.name', () => {
    const { owned } = analyse();
    expect(owned).toEqual(expect.arrayContaining(['counterValue', 'socketHandle', 'sendText', 'OK_CODE', 'BAD_CODE']));
  });

  it('keeps API members, names read as data, JSON fields and keys of untyped literals', () => {
    const { owned, kept } = analyse();
    for (const name of ['write', 'onData', 'HANG_CODE', 'STALL_CODE', 'jsonField', 'otherJsonField', 'shownKey', 'printedKey', 'keys', 'length']) {
      expect(owned).not.toContain(name);
    }
    expect(kept.has('write')).toBe(true);
    expect(kept.has('otherJsonField')).toBe(true);
  });

  it('gives short names that are never a kept name, a keyword or an inherited Espruino member', () => {
    const kept = new Set(['a', 'b', 'length']);
    const owned = ['alpha', 'beta', 'gamma', 'x'];
    const map = shortNameMap(owned, kept, (n) => (n === 'gamma' ? 10 : 1));
    expect(Object.keys(map).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(map.gamma).toBe('c');
    for (const v of Object.values(map)) expect(['a', 'b', 'x', 'on', 'do', 'if', 'in']).not.toContain(v);
    expect(new Set(Object.values(map)).size).toBe(3);
  });
});
