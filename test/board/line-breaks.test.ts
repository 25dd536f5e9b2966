import { describe, expect, it } from 'vitest';
import { breakLongLines } from '../../tools/firmware/line-breaks';
import { checkEspruinoSyntax } from '../../tools/firmware/syntax-gate';

describe('line breaks in the bundle (tools/firmware/line-breaks.ts)', () => {
  const code =
    '(function(){var s="a long string, with commas; and semicolons {}";' +
    'var t=`x${ {b:1}.b }y${[1,2].map(function(q){return q;}).join(",")}z`;' +
    'function f(a,b){if(a){return}return a+b}var n=0;n++;for(var i=0;i<3;i++){n+=f(i,i)}' +
    'return [s,t,n,f(1,2),f(0,1)].join("|")})()';

  it('keeps lines near the limit and behaviour unchanged (strings and templates intact)', () => {
    const broken = breakLongLines(code, 20);
    const lines = broken.split('\n');
    expect(lines.length).toBeGreaterThan(5);
    // a line only runs past the limit by the token it ends with, or by a token that cannot be cut (the string)
    for (const line of lines) if (!line.includes('long string')) expect(line.length).toBeLessThan(20 + 20);
    expect(broken).toContain('"a long string, with commas; and semicolons {}"');
    expect(eval(broken)).toBe(eval(code));
    expect(checkEspruinoSyntax(broken)).toEqual([]);
  });

  it('never ends a line after a return, break, continue, throw or inside a template text', () => {
    const broken = breakLongLines(code, 1);
    expect(broken).not.toMatch(/\b(return|break|continue|throw)\n/);
    expect(broken).toContain('`x${');
    expect(broken).toMatch(/}y\$\{/); // the `}` closing `${` stays with the template text after it
    expect(eval(broken)).toBe(eval(code));
  });

  it('leaves code that is short enough alone', () => {
    expect(breakLongLines(code, 10_000)).toBe(code);
  });
});
