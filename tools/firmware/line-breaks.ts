/**
 * Breaks the minified bundle into lines of about LINE_LIMIT characters. When Espruino 2v29 builds
 * an exception's stack trace it writes, for every frame, a marker line padded with one space per
 * column before the failing token (src/jslex.c jslPrintTokenLineMarker), and the trace is kept as a
 * string (e.stack), caught or not. Measured on the Linux build: a throw at column 24,000 of a
 * Storage file gives a 48 KB e.stack. In a one-line bundle of ~94 KB the top-level frame of any
 * exception at boot sits near the end of the line: ~8,000 JsVars for the trace (with the bundle
 * still wrapped in an IIFE, a refused broker connection at boot ran out of JsVars this way).
 * Short lines bound the trace to a few hundred bytes per frame.
 *
 * A line ends only after a `;`, `,`, `{` or `}` token: automatic semicolon insertion (ECMA-262
 * §12.10) reacts to a line break only right after return, break, continue, throw or yield, or
 * before a postfix `++`/`--` or an arrow's `=>`, and a break after one of these tokens is none of
 * those. A `}` that closes a template
 * literal's `${` is not a break point (the newline would join the string). esbuild's own lineLimit
 * is not usable: it breaks inside string literals with a backslash-newline continuation, which
 * Espruino does not read as one.
 */
import { tokenizer, tokTypes as tt } from 'acorn';

export const LINE_LIMIT = 256;

const BREAK_AFTER = new Set([tt.semi, tt.comma, tt.braceL, tt.braceR]);

export function breakLongLines(code: string, limit = LINE_LIMIT): string {
  const breaks: number[] = [];
  /** true for a `{` that opened a template substitution, false for a plain one. */
  const braces: boolean[] = [];
  let lineStart = 0;
  for (const token of tokenizer(code, { ecmaVersion: 'latest' })) {
    const nl = code.lastIndexOf('\n', token.end - 1);
    if (nl >= lineStart) lineStart = nl + 1;
    let breakable = BREAK_AFTER.has(token.type);
    if (token.type === tt.dollarBraceL) braces.push(true);
    else if (token.type === tt.braceL) braces.push(false);
    else if (token.type === tt.braceR && braces.pop() === true) breakable = false;
    if (breakable && token.end - lineStart >= limit && code[token.end] !== '\n') {
      breaks.push(token.end);
      lineStart = token.end;
    }
  }
  let out = '';
  let from = 0;
  for (const at of breaks) {
    out += code.slice(from, at) + '\n';
    from = at;
  }
  return out + code.slice(from);
}
