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
