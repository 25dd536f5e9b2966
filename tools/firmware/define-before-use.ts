/**
 * "Nothing used before it is defined": Espruino parses while it executes and does not hoist
 * function declarations (docs/espruino.md, Espruino issue #274), so a top-level statement may only
 * touch names whose definitions have already run, including everything a function it calls
 * touches in turn.
 *
 * The check looks at the top-level statement list of the bundle (the body of its outer IIFE).
 * For each statement it gathers the top-level names the statement reads while it runs: names in
 * its own code outside function bodies, the bodies of functions it invokes immediately, and, for
 * every top-level name it calls or constructs, everything that name's definition refers to
 * (transitively). Local bindings that shadow a top-level name are resolved per function scope,
 * which matters in minified code where short names are reused. It is conservative: a call
 * through a top-level object counts as touching everything that object's definition refers to.
 */
import { type AstNode, children, isFunctionNode, isNode, locationOf } from './ast';

export interface EarlyUse {
  name: string;
  line: number;
  column: number;
}

type Scope = Set<string>;

/** Reports each top-level name read before the statement defining it has run. */
export function findUsesBeforeDefinition(program: AstNode): EarlyUse[] {
  const statements = topLevelStatements(program);
  const topNames = new Set<string>();
  for (const stmt of statements) declaredBy(stmt, topNames, true);

  const deps = dependenciesOfDefinitions(statements, topNames);
  const defined = new Set<string>();
  const uses: EarlyUse[] = [];
  const reported = new Set<string>();
  const report = (use: EarlyUse): void => {
    if (reported.has(use.name)) return;
    reported.add(use.name);
    uses.push(use);
  };

  for (const stmt of statements) {
    if (stmt.type === 'FunctionDeclaration') {
      defined.add((stmt.id as AstNode).name as string);
      continue;
    }
    const parts = stmt.type === 'VariableDeclaration' ? (stmt.declarations as AstNode[]) : [stmt];
    for (const part of parts) {
      checkEagerUses(part, topNames, deps, defined, report);
      if (part.type === 'VariableDeclarator') declaredBy(part.id as AstNode, defined, true);
      else declaredBy(part, defined, true);
    }
  }
  return uses;
}

/** The statement list that runs at load: the outer IIFE's body if the bundle is one, else the program. */
function topLevelStatements(program: AstNode): AstNode[] {
  const body = program.body as AstNode[];
  if (body.length === 1 && body[0].type === 'ExpressionStatement') {
    let expr = body[0].expression as AstNode;
    if (expr.type === 'UnaryExpression') expr = expr.argument as AstNode;
    if (expr.type === 'CallExpression') {
      const callee = expr.callee as AstNode;
      if (isFunctionNode(callee) && (callee.body as AstNode).type === 'BlockStatement') {
        return (callee.body as AstNode).body as AstNode[];
      }
    }
  }
  return body;
}

/**
 * Adds the names a declaration binds. With `functionLevel`, walks nested blocks for var/let/const
 * (block scoping is approximated as function scoping) without entering nested functions.
 */
function declaredBy(node: AstNode, out: Set<string>, functionLevel: boolean): void {
  switch (node.type) {
    case 'Identifier':
      out.add(node.name as string);
      return;
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
      if (isNode(node.id)) out.add(node.id.name as string);
      return;
    case 'VariableDeclaration':
      for (const d of node.declarations as AstNode[]) declaredBy(d.id as AstNode, out, functionLevel);
      return;
    case 'ObjectPattern':
      for (const p of node.properties as AstNode[]) declaredBy(p.type === 'RestElement' ? p : (p.value as AstNode), out, functionLevel);
      return;
    case 'ArrayPattern':
      for (const e of node.elements as (AstNode | null)[]) if (e) declaredBy(e, out, functionLevel);
      return;
    case 'RestElement':
      declaredBy(node.argument as AstNode, out, functionLevel);
      return;
    case 'AssignmentPattern':
      declaredBy(node.left as AstNode, out, functionLevel);
      return;
    default:
      if (!functionLevel || isFunctionNode(node) || node.type.endsWith('Expression')) return;
      for (const child of children(node)) {
        if (child.type === 'VariableDeclaration' || child.type === 'FunctionDeclaration' || child.type === 'ClassDeclaration') {
          declaredBy(child, out, functionLevel);
        } else if (child.type.endsWith('Statement') || child.type === 'SwitchCase' || child.type === 'CatchClause') {
          declaredBy(child, out, functionLevel);
        }
      }
  }
}

/** The local scope a function introduces: its name (for expressions), parameters and declarations. */
function functionScope(fn: AstNode): Scope {
  const scope: Scope = new Set();
  if (fn.type === 'FunctionExpression' && isNode(fn.id)) scope.add(fn.id.name as string);
  for (const p of fn.params as AstNode[]) declaredBy(p, scope, false);
  const body = fn.body as AstNode;
  if (body.type === 'BlockStatement') for (const stmt of body.body as AstNode[]) declaredBy(stmt, scope, true);
  scope.add('arguments');
  return scope;
}

function isShadowed(name: string, scopes: Scope[]): boolean {
  for (const s of scopes) if (s.has(name)) return true;
  return false;
}

/** Is this identifier a read of a variable (not a property name, label or declared binding)? */
function isReference(node: AstNode, parent: AstNode | null): boolean {
  if (parent === null) return true;
  switch (parent.type) {
    case 'MemberExpression':
      return parent.property !== node || parent.computed === true;
    case 'Property':
    case 'MethodDefinition':
    case 'PropertyDefinition':
      return parent.key !== node || parent.computed === true || parent.shorthand === true;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return false;
    case 'VariableDeclarator':
      return parent.init === node;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ClassDeclaration':
    case 'ClassExpression':
      return parent.id !== node && !(parent.params as AstNode[] | undefined)?.includes(node);
    case 'ArrowFunctionExpression':
      return !(parent.params as AstNode[]).includes(node);
    case 'CatchClause':
      return parent.param !== node;
    default:
      return true;
  }
}

/** Every top-level name referenced anywhere inside `node`, honouring local shadowing. */
function allTopLevelRefs(node: AstNode, topNames: Set<string>, scopes: Scope[], out: Set<string>, parent: AstNode | null): void {
  if (node.type === 'Identifier') {
    const name = node.name as string;
    if (isReference(node, parent) && topNames.has(name) && !isShadowed(name, scopes)) out.add(name);
    return;
  }
  let inner = scopes;
  if (isFunctionNode(node)) inner = [functionScope(node), ...scopes];
  else if (node.type === 'CatchClause' && isNode(node.param)) {
    const s: Scope = new Set();
    declaredBy(node.param, s, false);
    inner = [s, ...scopes];
  }
  for (const child of children(node)) allTopLevelRefs(child, topNames, inner, out, node);
}

/**
 * For each top-level name, the top-level names its definition refers to: a function's body, a
 * variable's initialiser, a class body, plus later top-level statements that assign to it or to
 * its properties (`C.prototype.m = function () {...}`).
 */
function dependenciesOfDefinitions(statements: AstNode[], topNames: Set<string>): Map<string, Set<string>> {
  const deps = new Map<string, Set<string>>();
  const depsOf = (name: string): Set<string> => {
    let s = deps.get(name);
    if (!s) {
      s = new Set();
      deps.set(name, s);
    }
    return s;
  };
  for (const stmt of statements) {
    if (stmt.type === 'FunctionDeclaration' || stmt.type === 'ClassDeclaration') {
      allTopLevelRefs(stmt, topNames, [], depsOf((stmt.id as AstNode).name as string), null);
    } else if (stmt.type === 'VariableDeclaration') {
      for (const d of stmt.declarations as AstNode[]) {
        if (isNode(d.init) && (d.id as AstNode).type === 'Identifier') {
          allTopLevelRefs(d.init, topNames, [], depsOf((d.id as AstNode).name as string), d);
        }
      }
    } else if (stmt.type === 'ExpressionStatement' && (stmt.expression as AstNode).type === 'AssignmentExpression') {
      const assign = stmt.expression as AstNode;
      const root = rootName(assign.left as AstNode);
      if (root !== null && topNames.has(root)) allTopLevelRefs(assign.right as AstNode, topNames, [], depsOf(root), assign);
    }
  }
  return deps;
}

/** `a`, `a.b.c`, `a[x].b` -> "a"; anything else -> null. */
function rootName(node: AstNode): string | null {
  let n = node;
  while (n.type === 'MemberExpression') n = n.object as AstNode;
  return n.type === 'Identifier' ? (n.name as string) : null;
}

function closure(start: string, deps: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    const next = deps.get(name);
    if (!next) continue;
    next.forEach((d) => {
      if (!seen.has(d)) {
        seen.add(d);
        todo.push(d);
      }
    });
  }
  return seen;
}

/**
 * Walks what a statement runs, in evaluation order, and reports top-level names read before they
 * are defined. Function bodies are skipped unless the function is invoked on the spot (an IIFE).
 * A plain assignment `x = ...` to a top-level name defines it (Espruino creates the variable, as
 * non-strict JavaScript does; esbuild emits `for (i = 0; ...)` before `var i`). A call whose
 * callee is rooted at a top-level name (`f()`, `new C()`, `o.m()`) also needs everything that
 * name's definition refers to.
 */
function checkEagerUses(
  stmt: AstNode,
  topNames: Set<string>,
  deps: Map<string, Set<string>>,
  defined: Set<string>,
  report: (use: EarlyUse) => void,
): void {
  const isTop = (name: string, scopes: Scope[]): boolean => topNames.has(name) && !isShadowed(name, scopes);
  const walk = (node: AstNode, parent: AstNode | null, scopes: Scope[]): void => {
    if (node.type === 'Identifier') {
      const name = node.name as string;
      if (isReference(node, parent) && isTop(name, scopes) && !defined.has(name)) report({ name, ...locationOf(node) });
      return;
    }
    if (isFunctionNode(node)) {
      const invokedHere = parent !== null && (parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent.callee === node;
      if (!invokedHere) return;
      const inner = [functionScope(node), ...scopes];
      for (const child of children(node)) walk(child, node, inner);
      return;
    }
    if (node.type === 'ClassExpression' || node.type === 'ClassDeclaration') {
      if (isNode(node.superClass)) walk(node.superClass, node, scopes);
      return;
    }
    if (node.type === 'VariableDeclarator') {
      // a nested declaration (for-loop head, block): its names exist once the initialiser ran
      if (isNode(node.init)) walk(node.init, node, scopes);
      const names = new Set<string>();
      declaredBy(node.id as AstNode, names, false);
      names.forEach((name) => {
        if (isTop(name, scopes)) defined.add(name);
      });
      return;
    }
    if (node.type === 'AssignmentExpression' && node.operator === '=' && (node.left as AstNode).type === 'Identifier') {
      walk(node.right as AstNode, node, scopes);
      const name = (node.left as AstNode).name as string;
      if (isTop(name, scopes)) defined.add(name);
      return;
    }
    if (node.type === 'CallExpression' || node.type === 'NewExpression') {
      const root = rootName(node.callee as AstNode);
      if (root !== null && isTop(root, scopes)) {
        const where = locationOf(node);
        closure(root, deps).forEach((name) => {
          if (!defined.has(name)) report({ name, line: where.line, column: where.column });
        });
      }
    }
    let inner = scopes;
    if (node.type === 'CatchClause' && isNode(node.param)) {
      const s: Scope = new Set();
      declaredBy(node.param, s, false);
      inner = [s, ...scopes];
    }
    for (const child of children(node)) walk(child, node, inner);
  };
  walk(stmt, null, []);
}
