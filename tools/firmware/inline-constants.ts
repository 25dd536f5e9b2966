/**
 * Build step after esbuild: top-level numeric constants become literals where they are used.
 *
 * Every name declared at the bundle's top level lives in a JsVar for as long as the firmware runs
 * (Espruino src/jsvar.c: a scope is an object, each variable a name block), and so does each
 * property of an object used as a table of numbers (`SW.OK`). A literal costs nothing at rest: it
 * stays in the function's code, which Espruino keeps in flash when the bundle runs from Storage
 * (src/jsparse.c, jspeFunctionDefinitionInternal: flash strings). The firmware has ~300 such
 * constants (record layouts, status words, tags), so this saves as many JsVars at boot and makes
 * the bundle smaller, as most are used once or twice.
 *
 * A constant is inlined only when nothing can make the literal differ from the name: the name is
 * declared once, at the top level, with a number; no other binding anywhere has that name (so no
 * scope analysis is needed); it is never assigned. A table object is inlined when every value is a
 * number and every use is a read of one of its keys (`T.K`), never the object itself.
 */
import { parse } from 'acorn';
import { type AstNode, children, declaredIdentifiers, isNode, isPropertyName } from './ast';

interface Edit {
  at: number;
  end: number;
  text: string;
}

interface Constant {
  /** Literal text per key; '' for a plain constant. */
  values: Map<string, string>;
  declarator: AstNode;
  statement: AstNode;
  /** Reads to rewrite: the node replaced (identifier or member expression) and the key read. */
  uses: { node: AstNode; key: string; parent: AstNode | null }[];
  inlinable: boolean;
}

/** The statements whose declarations are the bundle's top level: the body of an outer IIFE, or the program's. */
function topLevelStatements(program: AstNode): AstNode[] {
  const body = program.body as AstNode[];
  if (body.length === 1 && body[0].type === 'ExpressionStatement') {
    const call = body[0].expression as AstNode;
    const callee = call.type === 'CallExpression' ? (call.callee as AstNode) : null;
    if (callee !== null && callee.type === 'FunctionExpression' && (call.arguments as AstNode[]).length === 0) {
      return (callee.body as AstNode).body as AstNode[];
    }
  }
  return body;
}

/** Source text of a number literal (or a negated one), or null. */
function numberText(code: string, init: unknown): string | null {
  if (!isNode(init)) return null;
  if (init.type === 'Literal' && typeof init.value === 'number') return code.slice(init.start, init.end);
  if (init.type === 'UnaryExpression' && init.operator === '-' && isNode(init.argument) && init.argument.type === 'Literal' && typeof init.argument.value === 'number') {
    return code.slice(init.start, init.end);
  }
  return null;
}

function propertyKey(p: AstNode): string | null {
  if (p.type !== 'Property' || p.computed === true || p.kind !== 'init' || p.method === true || p.shorthand === true) return null;
  const key = p.key as AstNode;
  if (key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return null;
}

function candidates(code: string, statements: AstNode[]): Map<string, Constant> {
  const found = new Map<string, Constant>();
  const declaredTwice = new Set<string>();
  for (const statement of statements) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declarator of statement.declarations as AstNode[]) {
      const id = declarator.id as AstNode;
      if (id.type !== 'Identifier') continue;
      const name = id.name as string;
      if (found.has(name)) declaredTwice.add(name);
      const values = new Map<string, string>();
      const plain = numberText(code, declarator.init);
      if (plain !== null) {
        values.set('', plain);
      } else if (isNode(declarator.init) && declarator.init.type === 'ObjectExpression') {
        let all = (declarator.init.properties as AstNode[]).length > 0;
        for (const p of declarator.init.properties as AstNode[]) {
          const key = propertyKey(p);
          const text = key === null ? null : numberText(code, p.value);
          if (key === null || text === null) all = false;
          else values.set(key, text);
        }
        if (!all) continue;
      } else {
        continue;
      }
      found.set(name, { values, declarator, statement, uses: [], inlinable: true });
    }
  }
  for (const name of declaredTwice) found.delete(name);
  return found;
}



function collectUses(program: AstNode, constants: Map<string, Constant>): void {
  const walk = (node: AstNode, parent: AstNode | null, grandparent: AstNode | null): void => {
    for (const id of declaredIdentifiers(node)) {
      const c = constants.get(id.name as string);
      if (c !== undefined && id !== c.declarator.id) c.inlinable = false;
    }
    if (node.type === 'Identifier' && !isPropertyName(node, parent)) {
      const c = constants.get(node.name as string);
      if (c !== undefined && node !== c.declarator.id) {
        const written = parent !== null &&
          ((parent.type === 'AssignmentExpression' && parent.left === node) || parent.type === 'UpdateExpression' ||
            (parent.type === 'UnaryExpression' && parent.operator === 'delete') || (parent.type === 'Property' && parent.shorthand === true));
        if (written) {
          c.inlinable = false;
        } else if (c.values.has('')) {
          c.uses.push({ node, key: '', parent });
        } else if (parent !== null && parent.type === 'MemberExpression' && parent.object === node && parent.computed !== true) {
          const key = (parent.property as AstNode).name as string;
          const read = !(grandparent !== null && ((grandparent.type === 'AssignmentExpression' && grandparent.left === parent) ||
            grandparent.type === 'UpdateExpression' || (grandparent.type === 'UnaryExpression' && grandparent.operator === 'delete') ||
            (grandparent.type === 'CallExpression' && grandparent.callee === parent)));
          if (read && c.values.has(key)) c.uses.push({ node: parent, key, parent: grandparent });
          else c.inlinable = false;
        } else {
          c.inlinable = false; // the table itself escapes: keep it
        }
      }
    }
    for (const child of children(node)) walk(child, node, parent);
  };
  walk(program, null, null);
}

/** Removes the inlined declarators of one declaration, keeping the others and their punctuation right. */
function declarationEdits(statement: AstNode, removed: (d: AstNode) => boolean): Edit[] {
  const ds = statement.declarations as AstNode[];
  const gone = ds.map(removed);
  if (gone.every((g) => g)) return [{ at: statement.start, end: statement.end, text: '' }];
  let lastKept = -1;
  gone.forEach((g, i) => {
    if (!g) lastKept = i;
  });
  const edits: Edit[] = [];
  for (let i = 0; i < lastKept; i++) if (gone[i]) edits.push({ at: ds[i].start, end: ds[i + 1].start, text: '' });
  if (lastKept < ds.length - 1) edits.push({ at: ds[lastKept].end, end: ds[ds.length - 1].end, text: '' });
  return edits;
}

export interface InlineResult {
  code: string;
  /** Names inlined (constants and tables). */
  inlined: string[];
}

/** Inlines until nothing is left: a constant declared as another one (`a=5,b=a`) becomes a number in the first round. */
export function inlineNumericConstants(code: string): InlineResult {
  let out: InlineResult = { code, inlined: [] };
  for (;;) {
    const round = inlineOnce(out.code);
    if (round.inlined.length === 0) return out;
    out = { code: round.code, inlined: out.inlined.concat(round.inlined) };
  }
}

function inlineOnce(code: string): InlineResult {
  const program = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AstNode;
  const constants = candidates(code, topLevelStatements(program));
  collectUses(program, constants);
  const edits: Edit[] = [];
  const inlined: string[] = [];
  const statements = new Set<AstNode>();
  for (const [name, c] of constants) {
    if (!c.inlinable) continue;
    inlined.push(name);
    statements.add(c.statement);
    for (const use of c.uses) {
      const text = c.values.get(use.key) as string;
      // `(-1)`, and `(5).toString()`: a bare literal would not parse the same
      const wrap = text.startsWith('-') || (use.parent !== null && use.parent.type === 'MemberExpression' && use.parent.object === use.node);
      edits.push({ at: use.node.start, end: use.node.end, text: wrap ? `(${text})` : text });
    }
  }
  const isInlined = (d: AstNode): boolean => {
    const c = constants.get((d.id as AstNode).name as string);
    return c !== undefined && c.inlinable && c.declarator === d;
  };
  for (const statement of statements) edits.push(...declarationEdits(statement, isInlined));
  edits.sort((a, b) => b.at - a.at);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return { code: out, inlined };
}
