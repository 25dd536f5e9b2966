import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ESPRUINO_GLOBALS, toGlobalScope } from '../../tools/firmware/global-scope';

describe('build: the bundle runs at the top level (global-scope.ts)', () => {
  it('drops the IIFE and keeps behaviour', () => {
    const code = '(function(){function sq(s){return s*s}var Kq=class{m(){return sq(3)}};out=new Kq().m();})();';
    const r = toGlobalScope(code);
    expect(r.problems).toEqual([]);
    expect(r.code.startsWith('function sq(')).toBe(true);
    const sandbox: { out?: unknown } = {};
    vm.runInNewContext(r.code, sandbox);
    expect(sandbox.out).toBe(9);
  });

  it('renames one-letter names and names of Espruino globals, never property names', () => {
    const code = '(function(){var x=2,D0={x:1};function f(){return x+D0.x}var o={x,D0};out=[f(),o.x,o.D0.x];})();';
    const r = toGlobalScope(code);
    expect(Object.keys(r.renamed).sort()).toEqual(['D0', 'f', 'o', 'x']);
    for (const to of Object.values(r.renamed)) {
      expect(to).toHaveLength(2);
      expect(ESPRUINO_GLOBALS.has(to)).toBe(false);
    }
    expect(r.code).not.toMatch(/\bD0=|\bvar x=/);
    const sandbox: { out?: unknown } = {};
    vm.runInNewContext(r.code, sandbox);
    expect(sandbox.out).toEqual([3, 2, 1]);
  });

  it('refuses a name it must rename when a function binds the same name', () => {
    const r = toGlobalScope('(function(){var x=1;function g(x){return x}out=g(x);})();');
    expect(r.problems.join('\n')).toMatch(/top-level name x .* bound inside a function/);
  });
});
