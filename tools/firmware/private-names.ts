/**
 * Which property names the bundle may shorten: names that are only ever private class members
 * of the firmware (TypeScript `private`). Every declaration of such a name is a private member and
 * every access resolves to one, so renaming all of them consistently (esbuild `mangleProps`)
 * cannot touch an Espruino API, a JSON field from Storage, or a lib property.
 *
 * A name is kept as it is when it appears anywhere else: as a public member, an interface or
 * type member (lib and espruino-api.ts included), an object literal key, a string index
 * (`x['name']`), or an access the checker cannot resolve to a private member (index signatures,
 * `any`).
 */
import ts from 'typescript';

function isPrivateMember(decl: ts.Declaration): boolean {
  if (!ts.isPropertyDeclaration(decl) && !ts.isMethodDeclaration(decl) && !ts.isGetAccessor(decl) && !ts.isSetAccessor(decl) && !ts.isParameter(decl)) {
    return false;
  }
  const mods = ts.canHaveModifiers(decl) ? ts.getModifiers(decl) ?? [] : [];
  return mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
}

function memberName(node: ts.Node): string | null {
  const name = (node as { name?: ts.Node }).name;
  return name !== undefined && ts.isIdentifier(name) ? name.text : null;
}

export function privateOnlyPropertyNames(program: ts.Program): string[] {
  const checker = program.getTypeChecker();
  const candidates = new Set<string>();
  const kept = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) ||
      (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent) && (ts.getModifiers(node) ?? []).length > 0)
    ) {
      const name = memberName(node);
      if (name !== null) (isPrivateMember(node as ts.Declaration) ? candidates : kept).add(name);
    } else if (
      ts.isPropertySignature(node) || ts.isMethodSignature(node) || ts.isPropertyAssignment(node) ||
      ts.isShorthandPropertyAssignment(node) || ts.isEnumMember(node)
    ) {
      const name = memberName(node);
      if (name !== null) kept.add(name);
      else if (ts.isPropertyAssignment(node) && ts.isStringLiteral(node.name)) kept.add(node.name.text);
    } else if (ts.isPropertyAccessExpression(node)) {
      const symbol = checker.getSymbolAtLocation(node.name);
      const decls = symbol?.declarations ?? [];
      if (decls.length === 0 || !decls.every(isPrivateMember)) kept.add(node.name.text);
    } else if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) {
      kept.add(node.argumentExpression.text);
    }
    ts.forEachChild(node, visit);
  };
  for (const sf of program.getSourceFiles()) visit(sf);
  return Array.from(candidates).filter((n) => !kept.has(n)).sort();
}
