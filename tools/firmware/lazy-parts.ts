/**
 * Build step between esbuild's bundling and its minification: code the board needs only now and
 * then leaves the resident top level for a function that defines it when called.
 *
 * Every top-level function, class and method costs JsVars for as long as the firmware runs (a
 * function ~4 plus one per parameter), even though Espruino keeps its code in flash. A function
 * body costs nothing until it runs: the declarations inside it stay flash text until then, and are
 * freed with the last object that needs them (measured on the 2v29 Linux build: 30 functions and a
 * class of five methods cost 211 JsVars at the top level, 4 inside a function not yet called, and
 * again ~250 while what the call returned was held).
 *
 * A part is named by its roots: top-level names in the bundle (a class or function of the
 * firmware's source, unminified at this step). The part holds each top-level statement reachable
 * from its roots and not from the resident code, which is every other statement: what runs at boot
 * and everything it reaches, never looking through a root. Resident code reaches a root only as
 * `(PART())` (one root) or `(PART()[i])`, so each such use runs the part's statements anew; a root
 * is therefore used where the objects of a whole episode are created (an SCP03 session), and the
 * part's definitions are freed with them. The part's own code reads resident names as globals (the
 * resident top level becomes Espruino's global scope, global-scope.ts). A statement reachable from
 * two parts stays resident.
 *
 * The part function is placed first: Espruino does not hoist, and it runs only when called.
 */
import { parse } from 'acorn';
import { type AstNode, children, declaredIdentifiers, isPropertyName } from './ast';

export interface LazyPart {
  /** Name of the function that defines the part (a top-level name after this step). */
  name: string;
  /** Top-level names resident code may reach the part through. */
  roots: string[];
}

export interface LazyPartsResult {
  code: string;
  /** Top-level names moved into each part, by part name. */
  moved: Record<string, string[]>;
  problems: string[];
}

interface Statement {
  /** A top-level statement, or one declarator of a `var a = 1, b = 2` (each its own statement here). */
  node: AstNode;
  /** `var ` before a declarator, '' for a statement. */
  kind: string;
  declares: string[];
  /** Top-level names it reads (any identifier of that name that is not a property name). */
  reads: Set<string>;
  /** Identifiers that read a root, with their parents. */
  rootReads: AstNode[];
}

const IIFE_HEAD = '(function(){';
const IIFE_TAIL = '})();';

function topLevelDeclared(s: AstNode): string[] {
  if (s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') return [((s.id as AstNode).name as string)];
  if (s.type === 'VariableDeclaration') return (s.declarations as AstNode[]).flatMap((d) => declaredIdentifiers(d)).map((id) => id.name as string);
  return [];
}

function identifierReads(node: AstNode, names: Set<string>, roots: Set<string>, reads: Set<string>, rootReads: AstNode[]): void {
  const walk = (n: AstNode, parent: AstNode | null): void => {
    if (n.type === 'Identifier' && names.has(n.name as string) && !isPropertyName(n, parent)) {
      reads.add(n.name as string);
      if (roots.has(n.name as string)) rootReads.push(n);
    }
    for (const c of children(n)) walk(c, n);
  };
  walk(node, null);
}

/** Names bound anywhere but as a top-level declaration's own name (parameters, locals, inner functions and classes). */
function innerBindings(program: AstNode, topLevel: AstNode[]): Set<string> {
  const own = new Set<AstNode>();
  for (const s of topLevel) {
    if (s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') own.add(s.id as AstNode);
    if (s.type === 'VariableDeclaration') for (const d of s.declarations as AstNode[]) own.add(d.id as AstNode);
  }
  const out = new Set<string>();
  const walk = (n: AstNode): void => {
    for (const id of declaredIdentifiers(n)) if (!own.has(id)) out.add(id.name as string);
    for (const c of children(n)) walk(c);
  };
  walk(program);
  return out;
}

/** `(function(){BODY})();` with the parts cut out of BODY. */
export function splitLazyParts(code: string, parts: LazyPart[]): LazyPartsResult {
  if (parts.length === 0) return { code, moved: {}, problems: [] };
  const trimmed = code.trim();
  if (!trimmed.startsWith(IIFE_HEAD) || !trimmed.endsWith(IIFE_TAIL)) {
    return { code, moved: {}, problems: ['lazy parts: the bundle is not one (function(){...})(); wrapper'] };
  }
  const bodyStart = code.indexOf(IIFE_HEAD) + IIFE_HEAD.length;
  const bodyEnd = code.lastIndexOf(IIFE_TAIL);
  const body = code.slice(bodyStart, bodyEnd);
  const program = parse(body, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AstNode;
  const nodes = program.body as AstNode[];
  const names = new Set<string>();
  for (const s of nodes) for (const n of topLevelDeclared(s)) names.add(n);
  const problems: string[] = [];
  const rootOf = new Map<string, { part: number; index: number }>();
  parts.forEach((p, part) => {
    if (names.has(p.name)) problems.push(`lazy parts: part name ${p.name} is already a top-level name`);
    p.roots.forEach((r, index) => {
      if (!names.has(r)) problems.push(`lazy parts: root ${r} of ${p.name} is not a top-level name of the bundle`);
      rootOf.set(r, { part, index });
    });
  });
  const inner = innerBindings(program, nodes);
  for (const r of rootOf.keys()) if (inner.has(r)) problems.push(`lazy parts: root ${r} is also bound inside a function`);
  if (problems.length > 0) return { code, moved: {}, problems };

  const roots = new Set(rootOf.keys());
  // esbuild joins neighbouring declarations into one `var`: each declarator is a statement here
  const units = nodes.flatMap((node) =>
    node.type === 'VariableDeclaration' && (node.declarations as AstNode[]).length > 1
      ? (node.declarations as AstNode[]).map((d) => ({ node: d, kind: `${node.kind as string} ` }))
      : [{ node, kind: '' }],
  );
  const statements: Statement[] = units.map(({ node, kind }) => {
    const reads = new Set<string>();
    const rootReads: AstNode[] = [];
    identifierReads(node, names, roots, reads, rootReads);
    const declares = kind === '' ? topLevelDeclared(node) : declaredIdentifiers(node).map((id) => id.name as string);
    return { node, kind, declares, reads, rootReads };
  });
  const declaredBy = new Map<string, number>();
  statements.forEach((s, i) => s.declares.forEach((n) => declaredBy.set(n, i)));
  const closure = (seeds: number[], stopAt: (i: number) => boolean): Set<number> => {
    const seen = new Set<number>();
    const todo = seeds.slice();
    while (todo.length > 0) {
      const i = todo.pop() as number;
      if (seen.has(i)) continue;
      seen.add(i);
      for (const n of statements[i].reads) {
        const j = declaredBy.get(n);
        if (j !== undefined && !seen.has(j) && !stopAt(j)) todo.push(j);
      }
    }
    return seen;
  };
  const rootStatements = new Set(Array.from(roots, (r) => declaredBy.get(r) as number));
  // Everything any part could hold; what no part reaches is resident, and so is all it reaches.
  const reachable = parts.map((p) => closure(p.roots.map((r) => declaredBy.get(r) as number), () => false));
  const anyPart = new Set(reachable.flatMap((s) => Array.from(s)));
  let resident = closure(statements.map((_, i) => i).filter((i) => !anyPart.has(i)), (j) => rootStatements.has(j));
  let members: Set<number>[] = [];
  for (;;) {
    members = parts.map((p) => closure(p.roots.map((r) => declaredBy.get(r) as number), (j) => resident.has(j) || (rootStatements.has(j) && !p.roots.includes(statements[j].declares[0]))));
    const shared = new Set<number>();
    members.forEach((m, k) => m.forEach((i) => members.forEach((o, l) => l !== k && o.has(i) && shared.add(i))));
    if (shared.size === 0) break;
    resident = closure(Array.from(resident).concat(Array.from(shared)), (j) => rootStatements.has(j));
  }
  for (const r of roots) if (resident.has(declaredBy.get(r) as number)) problems.push(`lazy parts: root ${r} is needed by resident code other than through its part`);
  if (problems.length > 0) return { code, moved: {}, problems };

  const partOf = new Map<number, number>();
  members.forEach((m, k) => m.forEach((i) => partOf.set(i, k)));
  const text = (s: Statement): string => {
    const own = partOf.get(statements.indexOf(s));
    const edits = s.rootReads
      .filter((id) => (rootOf.get(id.name as string) as { part: number }).part !== own)
      .map((id) => {
        const { part, index } = rootOf.get(id.name as string) as { part: number; index: number };
        return { at: id.start, end: id.end, text: parts[part].roots.length === 1 ? `(${parts[part].name}())` : `(${parts[part].name}()[${index}])` };
      })
      .sort((a, b) => b.at - a.at);
    let out = body.slice(s.node.start, s.node.end);
    for (const e of edits) out = out.slice(0, e.at - s.node.start) + e.text + out.slice(e.end - s.node.start);
    return s.kind === '' ? out : `${s.kind}${out};`;
  };
  const out: string[] = [];
  const moved: Record<string, string[]> = {};
  parts.forEach((p, k) => {
    const inside = statements.filter((_, i) => partOf.get(i) === k);
    moved[p.name] = inside.flatMap((s) => s.declares);
    const value = p.roots.length === 1 ? p.roots[0] : `[${p.roots.join(',')}]`;
    out.push(`function ${p.name}(){\n${inside.map(text).join('\n')}\nreturn ${value};\n}`);
  });
  statements.forEach((s, i) => {
    if (!partOf.has(i)) out.push(text(s));
  });
  return { code: `${IIFE_HEAD}\n${out.join('\n')}\n${IIFE_TAIL}\n`, moved, problems: [] };
}
