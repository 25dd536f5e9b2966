/**
 * New names for the properties the firmware owns (owned-names.ts), given to esbuild as its mangle
 * cache: the most used names get the shortest ones. A new name is never a name the bundle keeps
 * (so no renamed member can shadow or collide with a kept one), never a keyword Espruino's lexer
 * might reject after a dot, and never a property every Espruino object inherits
 * (Object.prototype.on/emit/... in src/jswrap_object.c).
 */
const FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
const NEXT = FIRST + '0123456789';

const NEVER = new Set([
  // keywords and literals of at most three letters
  'do', 'if', 'in', 'for', 'let', 'new', 'try', 'var', 'NaN',
  // inherited by every object on Espruino or in JavaScript
  'on', 'emit', 'clone', 'constructor', 'prototype', '__proto__', 'toString', 'valueOf', 'hasOwnProperty',
  'removeListener', 'removeAllListeners', 'replaceWith', 'length', 'name', 'call', 'bind', 'apply',
]);

function* shortNames(): Generator<string> {
  for (const a of FIRST) yield a;
  for (const a of FIRST) for (const b of NEXT) yield a + b;
  for (const a of FIRST) for (const b of NEXT) for (const c of NEXT) yield a + b + c;
}

/** Names this short stay as they are (and are never given to another name). */
const ALREADY_SHORT = 2;

/**
 * Maps each owned name longer than two characters to a short one; `uses(name)` ranks them (how
 * often the name occurs in the compiled code), the most bytes saved first.
 */
export function shortNameMap(owned: string[], kept: Set<string>, uses: (name: string) => number): Record<string, string> {
  const ranked = owned
    .filter((name) => name.length > ALREADY_SHORT)
    .map((name) => ({ name, weight: uses(name) * name.length }))
    .sort((x, y) => y.weight - x.weight || (x.name < y.name ? -1 : 1));
  const taken = (n: string): boolean => kept.has(n) || NEVER.has(n) || (n.length <= ALREADY_SHORT && owned.includes(n));
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  const gen = shortNames();
  for (const { name } of ranked) {
    let next = gen.next().value as string;
    while (taken(next)) next = gen.next().value as string;
    map[name] = next;
  }
  return map;
}

/** Occurrences of each identifier-like word in the compiled code. */
export function wordCounts(code: string): (name: string) => number {
  const counts = new Map<string, number>();
  for (const m of code.matchAll(/[A-Za-z_$][\w$]*/g)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  return (name) => counts.get(name) ?? 0;
}
