/**
 * The build's last rewrite before the syntax gate: two things esbuild's minifier writes that V8
 * reads and Espruino 2v29 does not (espruino-lexer.ts, syntax-gate.ts):
 *
 * - a variable named with one of Espruino's extra reserved words (the minifier picks `of`): every
 *   occurrence of that name is renamed to one that appears nowhere in the bundle, which keeps each
 *   binding and its references together whatever the scopes;
 * - `return}` at the end of a function body: Espruino keeps the body without its last `}`, so a
 *   bare return reads on into end of input; it becomes `return;}`.
 */
import { parse } from 'acorn';
import { type AstNode, children, isPropertyName } from './ast';
import { ESPRUINO_RESERVED_WORDS } from './espruino-lexer';
import { bareReturnsClosingAFunction } from './syntax-gate';

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
  edits.sort((a, b) => b.at - a.at);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

