/**
 * The emulated console speaks the part of Espruino's REPL protocol that EspruinoTools relies on
 * (docs/espruino.md "Uploading"): echo, DLE echo-off lines, ESC LF continuation, bracket-balanced execution,
 * Ctrl-C, "=result", "Uncaught ...", the prompt.
 */
import { describe, expect, it } from 'vitest';
import { bracketDepth, EspruinoConsole } from '../../host/emulator/espruino-console';

function repl() {
  let out = '';
  const ran: string[] = [];
  const c = new EspruinoConsole(
    {
      accepting: true,
      evaluate: (code) => {
        ran.push(code);
        return new Function(`return (${code});`)();
      },
    },
    (t) => (out += t),
  );
  return { c, out: () => out, ran, clear: () => (out = '') };
}

describe('Espruino console protocol', () => {
  it('echoes, runs the line on Enter and prints =result and the prompt', () => {
    const r = repl();
    r.c.input('1+2\r');
    expect(r.out()).toBe('1+2\r\n=3\r\n>');
  });

  it('DLE at the start of a line: no echo and no =result (EspruinoTools sends code this way)', () => {
    const r = repl();
    r.c.input('\x101+2\n');
    expect(r.ran).toEqual(['1+2']);
    expect(r.out()).toBe('');
  });

  it('an empty line gives a fresh prompt (how EspruinoTools looks for one)', () => {
    const r = repl();
    r.c.input('\n');
    expect(r.out()).toBe('\r\n>');
  });

  it('runs only when brackets balance; ESC LF is a newline that never runs the line', () => {
    const r = repl();
    r.c.input('\x10[1,\x1b\n2,\n3]\n');
    expect(r.ran).toEqual(['[1,\n2,\n3]']);
  });

  it('counts CR LF as one Enter', () => {
    const r = repl();
    r.c.input('\x101\r\n\x102\r\n');
    expect(r.ran).toEqual(['1', '2']);
  });

  it('Ctrl-C drops the line being typed', () => {
    const r = repl();
    r.c.input('[1,2');
    r.c.input('\x03');
    r.c.input('\x107\n');
    expect(r.ran).toEqual(['7']);
    expect(r.out()).toContain('\r\n>');
  });

  it('prints exceptions as "Uncaught ..." even on DLE lines', () => {
    const r = repl();
    r.c.input('\x10nosuch\n');
    expect(r.out()).toMatch(/^Uncaught ReferenceError: nosuch is not defined\r\n$/);
  });

  it('skips ESC [ sequences (line-number escapes)', () => {
    const r = repl();
    r.c.input('\x10\x1b[12d5\n');
    expect(r.ran).toEqual(['5']);
  });

  it('ignores brackets inside strings and comments when deciding to run', () => {
    expect(bracketDepth('print("(") // {')).toBe(0);
    expect(bracketDepth('f({a: "}"')).toBe(2);
    expect(bracketDepth('/* ( */ 1')).toBe(0);
  });
});
