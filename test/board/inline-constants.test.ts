import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { inlineNumericConstants } from '../../tools/firmware/inline-constants';

/** Runs a bundle-shaped program (one IIFE) and returns what it stored in `out`. */
function run(code: string): unknown {
  const sandbox: { out?: unknown } = {};
  vm.runInNewContext(code, sandbox);
  return sandbox.out;
}

function bundle(body: string): string {
  return `(function(){${body}})();`;
}

describe('build: top-level numeric constants become literals (inline-constants.ts)', () => {
  it('replaces a constant and its table reads by literals and drops their declarations', () => {
    const code = bundle('var a=5,T={OK:36864,NO:-1},k=class{m(){return a+T.OK}};out=[new k().m(),T.NO,a.toString(),T.OK.toString(16)];');
    const r = inlineNumericConstants(code);
    expect(r.inlined.sort()).toEqual(['T', 'a']);
    expect(r.code).not.toMatch(/\ba=5|T=\{/);
    expect(run(r.code)).toEqual(run(code));
  });

  it('follows a constant declared as another one', () => {
    const code = bundle('var a=5,b=a;out=b+1;');
    const r = inlineNumericConstants(code);
    expect(r.inlined.sort()).toEqual(['a', 'b']);
    expect(run(r.code)).toBe(6);
  });

  it('keeps a constant that another binding of the same name could shadow', () => {
    const code = bundle('var a=5;function f(a){return a}function g(){let a=2;return a}out=[f(1),g(),a];');
    const r = inlineNumericConstants(code);
    expect(r.inlined).toEqual([]);
    expect(run(r.code)).toEqual([1, 2, 5]);
  });

  it('keeps a variable that is assigned, and a table that is used as an object', () => {
    const code = bundle('var n=0,T={A:1},U={B:2};function inc(){n++}inc();U.B=3;out=[n,Object.keys(T),U.B];');
    const r = inlineNumericConstants(code);
    expect(r.inlined).toEqual([]);
    expect(run(r.code)).toEqual([1, ['A'], 3]);
  });

  it('keeps a table read with a key it does not have', () => {
    const code = bundle('var T={A:1};out=[T.A,T.B];');
    expect(inlineNumericConstants(code).inlined).toEqual([]);
  });
});
