/**
 * The regular expressions Espruino can run (2v29 src/jswrap_regexp.c, a backtracking matcher in the
 * style of Kernighan and Pike) and what its lexer accepts as a literal (src/jslex.c):
 *
 * - atoms: a literal character, `.`, a class `[...]` / `[^...]` with ranges, the escapes
 *   \d \D \s \S \w \W \f \n \r \t \v \0 \xHH and an escaped punctuation character;
 * - `*` and `+` after a single atom; `^`, `$`; capturing `(...)` without a quantifier; `|` at the
 *   top level only (the matcher scans ahead for the next `|` whatever the nesting).
 *
 * Everything else V8 knows is missing or means something else: `?` (as a quantifier or lazy
 * suffix) and `{n,m}` are literal characters, a quantifier after `)` applies to the `)`, `(?:`,
 * lookaround and named groups are literal text, `\b` is a backspace, backreferences throw, and an
 * unescaped `/` inside `[...]` ends the literal in the lexer. Flags: `g` and `i`.
 */

const ESCAPES = 'dDsSwWfnrtv0';
const FLAGS = 'gi';

/** Why Espruino would not run `/pattern/flags` as V8 does, or null when it would. */
export function espruinoRegexProblem(pattern: string, flags: string): string | null {
  for (const f of flags) if (!FLAGS.includes(f)) return `flag '${f}' is not supported`;
  let depth = 0;
  let i = 0;
  let atom = false; // the previous item is a single atom a quantifier may follow
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const problem = escapeProblem(pattern, i);
      if (problem !== null) return problem;
      i += pattern[i + 1] === 'x' ? 4 : 2;
      atom = true;
      continue;
    }
    if (c === '[') {
      const end = classEnd(pattern, i);
      if (typeof end === 'string') return end;
      i = end;
      atom = true;
      continue;
    }
    if (c === '*' || c === '+') {
      if (!atom) return pattern[i - 1] === ')' ? `'${c}' after a group: no quantifiers on groups` : `'${c}' with nothing to repeat`;
      atom = false;
      i++;
      continue;
    }
    if (c === '?') return atom ? "'?' as a quantifier (optional or lazy) is not supported" : "'?' here is not supported (no (?:...), lookaround or lazy quantifiers)";
    if (c === '{') return "'{n,m}' repetition is not supported";
    if (c === '(') {
      if (pattern[i + 1] === '?') return "'(?' (non-capturing group, lookaround, named group) is not supported";
      depth++;
      atom = false;
      i++;
      continue;
    }
    if (c === ')') {
      depth--;
      atom = false;
      i++;
      continue;
    }
    if (c === '|' && depth > 0) return "'|' inside a group is not supported (alternation only at the top level)";
    atom = c !== '^' && c !== '$' && c !== '|';
    i++;
  }
  return null;
}

function escapeProblem(pattern: string, i: number): string | null {
  const e = pattern[i + 1];
  if (e === undefined) return 'a trailing backslash';
  if (e === 'b' || e === 'B') return `'\\${e}' is a backspace in Espruino, not a word boundary`;
  if (e >= '1' && e <= '9') return 'backreferences are not supported';
  if (e === 'x') return /^[0-9a-fA-F]{2}$/.test(pattern.slice(i + 2, i + 4)) ? null : "'\\x' needs two hex digits";
  if (ESCAPES.includes(e)) return null;
  if (/[A-Za-z]/.test(e)) return `the escape '\\${e}' is not supported`;
  return null;
}

/** Index after the class starting at `start`, or a problem. */
function classEnd(pattern: string, start: number): number | string {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  while (i < pattern.length && pattern[i] !== ']') {
    const c = pattern[i];
    if (c === '/') return "an unescaped '/' inside [...] ends the literal in Espruino's lexer: write '\\/'";
    if (c === '[') return "'[' inside a class is not supported";
    if (c === '\\') {
      const problem = escapeProblem(pattern, i);
      if (problem !== null) return problem;
      i += pattern[i + 1] === 'x' ? 4 : 2;
      continue;
    }
    i++;
  }
  return i < pattern.length ? i + 1 : 'an unfinished character class';
}
