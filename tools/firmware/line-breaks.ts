/**
 * Breaks the minified bundle into lines of about LINE_LIMIT characters. When Espruino 2v29 builds
 * an exception's stack trace it writes, for every frame, the code line and a marker padded with one
 * space per column before the failing token (src/jslex.c jslPrintTokenLineMarker); in a one-line
 * bundle of ~96 KB that is up to ~96 KB of spaces per frame, so a caught exception deep in the
 * bundle runs the interpreter out of JsVars (seen: a refused broker connection at boot ends in
 * OUT OF MEMORY). Short lines bound the trace.
 *
 * A line ends only after a `;`, `,`, `{` or `}` token: JavaScript's automatic semicolon insertion
 * reacts to a line break only before the token following return/break/continue/throw, `++`/`--`
 * or `=>` (ECMA-262 §12.10), none of which these tokens are. A `}` that closes a template
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
