import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { splitLazyParts } from '../../tools/firmware/lazy-parts';

/** Runs a split bundle and returns what it left in `out` and which names its top level defines. */
function run(code: string): { out: unknown; topLevel: string[] } {
  const sandbox: { out?: unknown; names?: string[] } = {};
  // the bundle's IIFE becomes a script so its top-level names can be listed, as on the board
  const body = code.trim().slice('(function(){'.length, -'})();'.length);
  vm.runInNewContext(`${body}\nnames=Object.keys(this);`, sandbox);
  return { out: sandbox.out, topLevel: (sandbox.names ?? []).filter((n) => n !== 'out' && n !== 'names') };
}

const BUNDLE = [
  '(function(){',
  'function shared(x){return x+1}',
  'var TABLE=[1,2,3];',
  'function helper(x){return TABLE[x]*2}',
  'class Session{constructor(v){this.v=helper(v)+shared(v)}total(){return this.v}}',
  'class Resident{open(v){return new Session(v)}}',
  'function tap(){return shared(10)}',
  'var r=new Resident();',
  'out=[r.open(1).total(),r.open(2).total(),tap()];',
  '})();',
].join('\n');

describe('build: code defined only while used (lazy-parts.ts)', () => {
  it('moves what only the root reaches into the part and keeps behaviour', () => {
    const r = splitLazyParts(BUNDLE, [{ name: 'sessionPart', roots: ['Session'] }]);
    expect(r.problems).toEqual([]);
    expect(r.moved.sessionPart.sort()).toEqual(['Session', 'TABLE', 'helper']);
    const ran = run(r.code);
    // helper(1)=4 + shared(1)=2; helper(2)=6 + shared(2)=3; shared(10)
    expect(ran.out).toEqual([6, 9, 11]);
    expect(ran.topLevel).toContain('shared');
    expect(ran.topLevel).toContain('sessionPart');
    for (const name of ['Session', 'TABLE', 'helper']) expect(ran.topLevel).not.toContain(name);
    expect(r.code).toMatch(/new \(sessionPart\(\)\)\(v\)/);
  });

  it('keeps a statement resident when two parts reach it', () => {
    const code = BUNDLE.replace('function tap(){return shared(10)}', 'function tap(){return new Other().n}\nclass Other{constructor(){this.n=helper(0)}}');
    const r = splitLazyParts(code, [
      { name: 'sessionPart', roots: ['Session'] },
      { name: 'otherPart', roots: ['Other'] },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.moved.sessionPart.sort()).toEqual(['Session', 'shared']);
    expect(r.moved.otherPart).toEqual(['Other']);
    expect(run(r.code).out).toEqual([6, 9, 2]);
  });

  it('refuses a root the bundle does not define or that a function binds as a local', () => {
    expect(splitLazyParts(BUNDLE, [{ name: 'p', roots: ['Missing'] }]).problems.join('\n')).toMatch(/root Missing of p is not a top-level name/);
    const shadowed = BUNDLE.replace('function tap(){return shared(10)}', 'function tap(Session){return shared(10)}');
    expect(splitLazyParts(shadowed, [{ name: 'p', roots: ['Session'] }]).problems.join('\n')).toMatch(/root Session is also bound inside a function/);
  });
});
