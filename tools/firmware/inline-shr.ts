/**
 * A tsc transformer for the Espruino bundle: every call of the portable core's shr(x, n)
 * (firmware/src/core/bits.ts, there only so Lua gets a right shift that means the same) becomes
 * `(x >>> n)`, which is what shr() does in JavaScript. Espruino interprets every token and a call
 * costs it about three empty-loop iterations more than the operator (bench/espruino); the core
 * shifts in every byte loop. The Lua build does not use this: it keeps shr().
 */
import path from 'node:path';
import ts from 'typescript';

/** The file that defines shr(); calls of any other function named shr are left alone. */
export function inlineShr(checker: ts.TypeChecker, bitsFile: string): ts.TransformerFactory<ts.SourceFile> {
  const target = path.resolve(bitsFile);
  const isShr = (callee: ts.Expression): boolean => {
    if (!ts.isIdentifier(callee) || callee.text !== 'shr') return false;
    let symbol = checker.getSymbolAtLocation(callee);
    if (symbol !== undefined && (symbol.flags & ts.SymbolFlags.Alias) !== 0) symbol = checker.getAliasedSymbol(symbol);
    const decl = symbol?.declarations?.[0];
    return decl !== undefined && path.resolve(decl.getSourceFile().fileName) === target;
  };
  return (context) => {
    const f = context.factory;
    const visit = (node: ts.Node): ts.Node => {
      const n = ts.visitEachChild(node, visit, context);
      if (ts.isCallExpression(n) && n.arguments.length === 2 && isShr(ts.isCallExpression(node) ? node.expression : n.expression)) {
        return f.createParenthesizedExpression(
          f.createBinaryExpression(
            f.createParenthesizedExpression(n.arguments[0]),
            ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
            f.createParenthesizedExpression(n.arguments[1]),
          ),
        );
      }
      return n;
    };
    return (sf) => ts.visitNode(sf, visit) as ts.SourceFile;
  };
}
