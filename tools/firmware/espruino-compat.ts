/**
 * The build's last rewrite before the syntax gate: two things esbuild's minifier writes that V8
 * reads and Espruino 2v29 does not (espruino-lexer.ts, syntax-gate.ts):
 *
 * - a variable named with one of Espruino's extra reserved words (the minifier picks `of`): every
 *   occurrence of that name is renamed to one that appears nowhere in the bundle, which keeps each
 *   binding and its references together whatever the scopes;
 * - `return}` at the end of a function body: Espruino keeps the body without its last `}`, so a
 *   bare return reads on into end of input; it becomes `return;}`;
 * - one line of ~100 KB: code that runs from Storage (.bootcde) builds an exception's stack text
 *   from the source line it was raised on plus a caret line as long as its column (Espruino
 *   src/jsparse.c jspeiAddStackTrace / jslPrintTokenLineMarker), so one caught exception cost
 *   thousands of JsVars. A newline goes before the first statement or class member after every
 *   LINE_TARGET characters; a newline there never changes what a statement means.
 */
import { parse } from 'acorn';
import { type AstNode, children, isPropertyName } from './ast';
import { ESPRUINO_RESERVED_WORDS } from './espruino-lexer';
import { bareReturnsClosingAFunction } from './syntax-gate';

/** Longest stretch of code between inserted newlines (a statement can make a line longer). */
export const LINE_TARGET = 1500;

interface Edit {
  at: number;
  end: number;
  text: string;
}

export function makeEspruinoCompatible(code: string): string {
  const program = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AstNode;
  const edits: Edit[] = [];
  const fresh = new Map<string, string>();
  const freshName = (name: string): string => {
    let n = fresh.get(name);
    for (let k = 0; n === undefined; k++) if (!code.includes('$' + name + k)) n = '$' + name + k;
    fresh.set(name, n);
    return n;
  };
  const walk = (node: AstNode, parent: AstNode | null): void => {
    if (node.type === 'Identifier' && ESPRUINO_RESERVED_WORDS.has(node.name as string) && node.name !== 'undefined' && !isPropertyName(node, parent)) {
      const renamed = freshName(node.name as string);
      const shorthand = parent !== null && parent.type === 'Property' && parent.shorthand === true;
      edits.push({ at: node.start, end: node.end, text: shorthand ? `${String(node.name)}:${renamed}` : renamed });
    }
    const kids = children(node);
    // a shorthand property's key and value are two nodes over the same text: visit it once
    const visited = node.type === 'Property' && node.shorthand === true ? [node.value as AstNode] : kids;
    for (const child of visited) walk(child, node);
  };
  walk(program, null);
  for (const r of bareReturnsClosingAFunction(program, code)) edits.push({ at: r.end, end: r.end, text: ';' });
  let lineStart = 0;
  for (const at of statementStarts(program)) {
    const newline = code.lastIndexOf('\n', at - 1);
    if (newline >= lineStart) lineStart = newline + 1;
    if (at - lineStart < LINE_TARGET) continue;
    edits.push({ at, end: at, text: '\n' });
    lineStart = at;
  }
  edits.sort((a, b) => b.at - a.at);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

/** Where each statement of a statement list and each class member starts, ascending. */
function statementStarts(program: AstNode): number[] {
  const starts: number[] = [];
  const walk = (node: AstNode): void => {
    const list = node.type === 'Program' || node.type === 'BlockStatement' || node.type === 'ClassBody' ? (node.body as AstNode[]) : node.type === 'SwitchCase' ? (node.consequent as AstNode[]) : null;
    if (list !== null) for (const s of list) starts.push(s.start);
    for (const child of children(node)) walk(child);
  };
  walk(program);
  return starts.sort((a, b) => a - b);
}
