/**
 * Minimal generic ESTree helpers for the firmware gates: acorn gives plain objects, and the gates
 * only need to visit children and read a few fields, so one loose node type is enough.
 */
import type { Node as AcornNode } from 'acorn';

export type AstNode = AcornNode & { [key: string]: unknown };

export function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Child nodes of a node, in source order of their fields. */
export function children(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'range') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) {
      out.push(value);
    }
  }
  return out;
}

export function isFunctionNode(node: AstNode): boolean {
  return (
    node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression'
  );
}

export interface Location {
  line: number;
  column: number;
}

export function locationOf(node: AstNode): Location {
  const start = node.loc ? node.loc.start : { line: 0, column: 0 };
  return { line: start.line, column: start.column + 1 };
}

/** The identifiers a node declares: a variable, a function's name and parameters, a class name, a catch parameter. */
export function declaredIdentifiers(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const pattern = (p: unknown): void => {
    if (!isNode(p)) return;
    if (p.type === 'Identifier') out.push(p);
    else for (const c of children(p)) if (p.type !== 'AssignmentPattern' || c === p.left) pattern(c);
  };
  if (node.type === 'VariableDeclarator') pattern(node.id);
  if (isFunctionNode(node)) {
    if (isNode(node.id)) out.push(node.id);
    for (const p of node.params as AstNode[]) pattern(p);
  }
  if ((node.type === 'ClassDeclaration' || node.type === 'ClassExpression') && isNode(node.id)) out.push(node.id);
  if (node.type === 'CatchClause') pattern(node.param);
  return out;
}

/** True when an identifier is a property name (`o.x`, `{x: 1}`, a method), not a variable. */
export function isPropertyName(node: AstNode, parent: AstNode | null): boolean {
  if (parent === null) return false;
  if (parent.type === 'MemberExpression') return parent.property === node && parent.computed !== true;
  if (parent.type === 'Property' || parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') {
    return parent.key === node && parent.computed !== true && parent.shorthand !== true;
  }
  return false;
}
