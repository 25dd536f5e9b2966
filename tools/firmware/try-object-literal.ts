/**
 * Espruino 2v29 loses an exception thrown while it builds an object literal inside a `try` block
 * when more properties follow the one that threw: the exception is reported as Uncaught and the
 * `catch` never runs (seen with `try { return { a: f(), b: 1 } } catch (e) {...}`, also with
 * `var o = {...}`, `o = {...}` and a literal nested in such a literal: src/jsparse.c
 * jspeFactorObject, no longer executing, reads the next property's key and colon but not its
 * value, and leaves the lexer there). The same literal in a function called from the try, as an
 * element of an array or an argument of a call (whose parsers skip to their closing bracket), or
 * with the throwing value last, is caught. This finds the literals at risk: in a try block of the
 * same function, outside call arguments and arrays, a property that may throw with another
 * property after it. Rewrite: compute the value first, or make that property the last.
 */
import { type AstNode, children, isFunctionNode } from './ast';

/** Values that cannot throw while evaluated (conservative: anything else may). */
function cannotThrow(node: AstNode): boolean {
  switch (node.type) {
    case 'Literal':
    case 'Identifier':
    case 'ThisExpression':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return true;
    case 'TemplateLiteral':
      return (node.expressions as AstNode[]).every(cannotThrow);
    case 'ArrayExpression':
      return (node.elements as (AstNode | null)[]).every((e) => e === null || cannotThrow(e));
    case 'ObjectExpression':
      return (node.properties as AstNode[]).every((p) => p.type === 'Property' && p.computed !== true && cannotThrow(p.value as AstNode));
    case 'UnaryExpression':
      return node.operator !== 'delete' && cannotThrow(node.argument as AstNode);
    case 'BinaryExpression':
      return node.operator !== 'in' && node.operator !== 'instanceof' && cannotThrow(node.left as AstNode) && cannotThrow(node.right as AstNode);
    case 'LogicalExpression':
      return cannotThrow(node.left as AstNode) && cannotThrow(node.right as AstNode);
    case 'ConditionalExpression':
      return cannotThrow(node.test as AstNode) && cannotThrow(node.consequent as AstNode) && cannotThrow(node.alternate as AstNode);
    case 'MemberExpression':
      // a field of `this` (methods always have their object)
      return (node.object as AstNode).type === 'ThisExpression' && node.computed !== true;
    default:
      return false;
  }
}

/** Properties (values) that may throw with another property after them, in object literals in try blocks. */
export function throwingPropertiesInTry(program: AstNode): AstNode[] {
  const found: AstNode[] = [];
  const walk = (node: AstNode, inTry: boolean): void => {
    if (node.type === 'ObjectExpression' && inTry) {
      const props = node.properties as AstNode[];
      for (let i = 0; i < props.length - 1; i++) {
        const p = props[i];
        const value = p.type === 'Property' ? (p.value as AstNode) : p;
        if (p.computed === true || !cannotThrow(value)) found.push(value);
      }
    }
    const bracketed = node.type === 'ArrayExpression' ? (node.elements as AstNode[])
      : node.type === 'CallExpression' || node.type === 'NewExpression' ? (node.arguments as AstNode[]) : [];
    for (const child of children(node)) {
      let childInTry = inTry;
      if (isFunctionNode(child) || bracketed.includes(child)) childInTry = false;
      else if (node.type === 'TryStatement' && child === node.block) childInTry = true;
      walk(child, childInTry);
    }
  };
  walk(program, false);
  return found;
}
