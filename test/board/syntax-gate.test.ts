import { describe, expect, it } from 'vitest';
import { checkEspruinoSyntax } from '../../tools/firmware/syntax-gate';
import { makeEspruinoCompatible } from '../../tools/firmware/espruino-compat';

function constructs(code: string): string[] {
  return checkEspruinoSyntax(code).map((v) => v.construct);
}

describe('Espruino syntax gate (docs/espruino.md)', () => {
  const forbidden: [string, string][] = [
    ['destructuring', 'var o = {a: 1}; var { a } = o;'],
    ['destructuring', 'var [x, y] = [1, 2];'],
    ['spread', 'var a = [1]; var b = [0].concat([...a]);'],
    ['spread', 'function f(a, b) { return a + b; } f(...[1, 2]);'],
    ['rest parameter', 'function f(a, ...rest) { return rest; }'],
    ['default parameter', 'function f(a = 1) { return a; }'],
    ['default parameter', 'var g = (a = 1) => a;'],
    ['for..of', 'for (var x of [1, 2]) x;'],
    ['generator', 'function* gen() { yield 1; }'],
    ['async', 'async function f() { await 1; }'],
    ['async', 'var f = async () => 1;'],
    ['Map', 'var m = new Map();'],
    ['Set', 'var s = new Set();'],
    ['WeakMap', 'var w = new WeakMap();'],
    ['Symbol', 'var s = Symbol("x");'],
    ['Promise.finally', 'Promise.resolve(1).finally(function () {});'],
    ['Object.freeze', 'var o = Object.freeze({});'],
    ['**', 'var x = 2 ** 10;'],
    ['**', 'var x = 2; x **= 3;'],
    ['optional chaining', 'var o = {}; var v = o?.a;'],
    ['label', 'outer: for (var i = 0; i < 2; i++) { break outer; }'],
    ['with', 'var o = {a: 1}; with (o) { a; }'],
    ['import/export (modules)', 'import x from "y";'],
    ['class field', 'class A { x = 1; }'],
    ['logical assignment', 'var a = null; a ??= 1;'],
    ['tagged template', 'function t(s) { return s; } t`x`;'],
    ['computed key', 'var k = "a"; var o = { [k]: 1 };'],
    ['class extends expression', 'function mix(b) { return b; } class A {} class B extends mix(A) {}'],
    // the four ways the bundle failed on Espruino 2v29
    ['reserved word as name', 'var of = 1; var b = of + 1;'],
    ['reserved word as name', 'function f(static) { return static; }'],
    ['reserved word as class member', 'class A { delete(x) { return x; } }'],
    ['regular expression', 'var m = /^mqtt:\\/\\/([^:/]+)$/.exec("mqtt://h");'],
    ['regular expression', 'var m = /^a(:(\\d+))?$/.exec("a:1");'],
    ['regular expression', 'var ok = /^a{2,3}$/.test("aa");'],
    ['regular expression', 'var ok = /^(?:ab)$/.test("ab");'],
    ['regular expression', 'var ok = /\\bword/.test("a word");'],
    ['bare return at function end', 'function f(c) { for (var i = 0; i < 2; i++) if (c[i]) return }'],
    ['bare return at function end', 'var o = { m(a) { a++; return } };'],
  ];
  for (const [construct, code] of forbidden) {
    it(`rejects ${construct}: ${code}`, () => {
      expect(constructs(code)).toContain(construct);
    });
  }

  it('names the position of the construct', () => {
    const [v] = checkEspruinoSyntax('var a = 1;\nvar b = 2 ** a;');
    expect(v).toMatchObject({ construct: '**', line: 2, column: 9 });
  });

  it('accepts what Espruino has: ES5, arrows, classes, template literals, let/const, ??, optional catch binding, shorthand', () => {
    const code = [
      'var a = [1, 2].map((x) => x * 2);',
      'class B { constructor() { this.v = 1; } get x() { return this.v; } static make() { return new B(); } }',
      'class C extends B { constructor() { super(); } }',
      'let t = `v=${a[0]}`; const n = null ?? 3;',
      'try { JSON.parse("{"); } catch { t = ""; }',
      'var o = { get y() { return 1; } }; var u = new Uint8Array(4).subarray(1, 2);',
      'var q = { a, m() { return 1; } };',
      // what Espruino reads as V8 does: reserved words as property names, simple regexes, `return;}`
      'var p = { delete: 1, of: 2 }; p.delete = p.of; var z = { delete() { return 1; } };',
      'var r = /^[0-9a-f]*$/i.test("0a") && /^mqtt:\\/\\/([^:\\/]+):(\\d+)$/.exec("mqtt://h:1");',
      'function g(a) { if (a) { return } a++; return; }',
    ].join('\n');
    expect(checkEspruinoSyntax(code)).toEqual([]);
  });
});

describe('compat pass (tools/firmware/espruino-compat.ts)', () => {
  it('renames a variable Espruino reserves and ends a bare return before the closing brace', () => {
    const code = '(function(){var of=2,b={of};function f(c){if(c)return}return of+f(b.of)})();';
    const fixed = makeEspruinoCompatible(code);
    expect(constructs(code)).toEqual(expect.arrayContaining(['reserved word as name', 'bare return at function end']));
    expect(checkEspruinoSyntax(fixed)).toEqual([]);
    expect(fixed).toContain('b={of:$of0}');
    expect(fixed).toContain('if(c)return;}');
    // same behaviour under V8
    expect(eval(fixed)).toBe(eval(code));
  });
});

describe('define-before-use check (Espruino does not hoist)', () => {
  it('rejects a call to a function declared further down', () => {
    const v = checkEspruinoSyntax('f();\nfunction f() { return 1; }');
    expect(v.map((x) => x.construct)).toEqual(['use before definition']);
    expect(v[0].detail).toContain("'f'");
  });

  it('rejects a call whose callee touches something defined later', () => {
    const v = checkEspruinoSyntax('function f() { return g(); }\nf();\nfunction g() { return 1; }');
    expect(v.map((x) => x.detail)).toEqual([expect.stringContaining("'g'")]);
  });

  it('rejects reading a var before its definition runs, inside the bundle IIFE too', () => {
    expect(constructs('(function(){ var a = b + 1; var b = 2; })();')).toEqual(['use before definition']);
  });

  it('accepts forward references that only run later (callbacks, function bodies)', () => {
    const code = '(function(){ function f() { return g(); } var h = function () { return k; }; function g() { return 1; } var k = 2; f(); h(); })();';
    expect(checkEspruinoSyntax(code)).toEqual([]);
  });

  it('resolves shadowing: a local with the same short name is not the top-level one', () => {
    const code = '(function(){ function a(b) { var c = b; return c; } var d = a(1); function c() {} })();';
    expect(checkEspruinoSyntax(code)).toEqual([]);
  });

  it('follows constructors: new C() touches what the class body uses', () => {
    const code = '(function(){ var C = (function () { function C() { this.x = D; } return C; })(); var o = new C(); var D = 1; })();';
    expect(constructs(code)).toEqual(['use before definition']);
  });
});

describe('throwing property in an object literal inside try (tools/firmware/try-object-literal.ts)', () => {
  it('flags a value that may throw with more properties after it, in a try block of the same function', () => {
    expect(constructs('function f(j){try{return{a:g(j),b:""}}catch(e){return null}}')).toEqual(['throwing property in try']);
    expect(constructs('function f(){try{var o={a:{w:g(),q:1}}}catch(e){}}')).toEqual(['throwing property in try']);
    expect(constructs('function f(x){try{x={a:x.y,b:1}}catch(e){}}')).toEqual(['throwing property in try']);
  });

  it('accepts what Espruino catches: the throwing value last, call arguments, arrays, another function, no try', () => {
    expect(constructs('function f(j){try{return{b:"",a:g(j)}}catch(e){return null}}')).toEqual([]);
    expect(constructs('function f(){try{h({a:g(),b:1});var o=[{a:g(),b:1}]}catch(e){}}')).toEqual([]);
    expect(constructs('function f(){try{return function(){return{a:g(),b:1}}}catch(e){}}')).toEqual([]);
    expect(constructs('function f(){return{a:g(),b:1}}')).toEqual([]);
    expect(constructs('function f(){try{return{a:this.x,b:1,c:[1,2],d:"s"+1}}catch(e){}}')).toEqual([]);
  });
});
