/**
 * Which property names the bundle may rename (esbuild mangleProps): the names the firmware owns.
 * A name is owned when the TypeScript program proves that every object carrying it is one of the
 * firmware's own objects, so renaming it everywhere at once cannot reach an Espruino API, a lib
 * property, a JSON field read from Storage, or a name printed by its text.
 *
 * A name is kept as it is when any of these holds (checked over the whole program):
 *   - it is declared outside the firmware's own files: lib .d.ts, espruino-api.ts (Espruino's API,
 *     its modules' options and events);
 *   - an access `x.name` does not resolve to a declaration in the firmware (any, unknown, index
 *     signatures, lib types);
 *   - it appears as a string anywhere in the firmware (`o['name']`, JSON field names passed to
 *     readers, console function names, Storage file names), or in a binding pattern or enum;
 *   - it is a key of an object literal that is not typed by a firmware declaration, unless that
 *     literal is a const whose every use is `CONST.name` (status-word and error-code tables);
 *   - it is a property of a value whose keys are read as data: Object.keys, JSON.stringify, for..in,
 *     or passed where `any`/`unknown` is expected (print).
 */
import ts from 'typescript';

function memberNameText(name: ts.PropertyName | ts.BindingName | undefined): string | null {
  if (name === undefined) return null;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null;
}

function isMemberDeclaration(node: ts.Node): node is ts.NamedDeclaration & { name: ts.PropertyName } {
  return (
    ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) ||
    ts.isPropertySignature(node) || ts.isMethodSignature(node) || ts.isPropertyAssignment(node) ||
    ts.isShorthandPropertyAssignment(node) || ts.isEnumMember(node) ||
    (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent) && (ts.getModifiers(node) ?? []).length > 0)
  );
}

/** Reads of keys as data: the argument's properties must keep their names. */
const KEY_READERS = new Set(['Object.keys', 'Object.entries', 'Object.values', 'Object.assign', 'JSON.stringify']);

export interface OwnedNames {
  /** Names safe to rename. */
  owned: string[];
  /** Every other property name the program's firmware code uses or declares (never a new name). */
  kept: Set<string>;
}

/**
 * `isOwnedFile` says which source files are the firmware's own code (not lib, not the Espruino
 * API declarations).
 */
export function ownedPropertyNames(program: ts.Program, isOwnedFile: (fileName: string) => boolean): OwnedNames {
  const checker = program.getTypeChecker();
  const candidates = new Set<string>();
  const kept = new Set<string>();
  // an index signature is a string-keyed lookup, never an owned member, wherever it is declared
  const ownedDecl = (d: ts.Declaration): boolean => !ts.isIndexSignatureDeclaration(d) && isOwnedFile(d.getSourceFile().fileName);
  const keepTypeProps = (type: ts.Type): void => {
    for (const p of checker.getPropertiesOfType(type)) kept.add(p.name);
    if (type.isUnion() || type.isIntersection()) for (const t of type.types) keepTypeProps(t);
  };

  // Object-literal consts used only as `CONST.name`: their keys are owned like class members.
  const literalConsts = new Map<ts.Symbol, ts.ObjectLiteralExpression>();
  const escaped = new Set<ts.Symbol>();
  const ownedFiles = program.getSourceFiles().filter((sf) => isOwnedFile(sf.fileName));
  const unwrap = (e: ts.Expression): ts.Expression => {
    let x = e;
    while (ts.isAsExpression(x) || ts.isParenthesizedExpression(x) || ts.isSatisfiesExpression(x)) x = x.expression;
    return x;
  };
  for (const sf of ownedFiles) {
    const find = (node: ts.Node): void => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.type === undefined && node.initializer !== undefined) {
        const init = unwrap(node.initializer);
        const sym = checker.getSymbolAtLocation(node.name);
        if (ts.isObjectLiteralExpression(init) && sym !== undefined) literalConsts.set(sym, init);
      }
      ts.forEachChild(node, find);
    };
    find(sf);
  }
  const resolve = (id: ts.Identifier): ts.Symbol | undefined => {
    let s = checker.getSymbolAtLocation(id);
    if (s !== undefined && (s.flags & ts.SymbolFlags.Alias) !== 0) s = checker.getAliasedSymbol(s);
    return s;
  };
  for (const sf of ownedFiles) {
    const uses = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const p = node.parent;
        const isDeclName = ts.isVariableDeclaration(p) && p.name === node;
        const isSpecifier = ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p);
        const isAccessed = ts.isPropertyAccessExpression(p) && p.expression === node;
        const isMemberName = (ts.isPropertyAccessExpression(p) && p.name === node) || (isMemberDeclaration(p) && p.name === node);
        if (!isDeclName && !isSpecifier && !isAccessed && !isMemberName) {
          const s = resolve(node);
          if (s !== undefined && literalConsts.has(s)) escaped.add(s);
        }
      }
      ts.forEachChild(node, uses);
    };
    uses(sf);
  }
  const ownedLiterals = new Set<ts.ObjectLiteralExpression>();
  for (const [sym, lit] of literalConsts) if (!escaped.has(sym)) ownedLiterals.add(lit);

  const literalKeyIsOwned = (lit: ts.ObjectLiteralExpression, name: string): boolean => {
    if (ownedLiterals.has(lit)) return true;
    const ct = checker.getContextualType(lit);
    if (ct === undefined) return false;
    const types = ct.isUnion() ? ct.types : [ct];
    let found = false;
    for (const t of types) {
      if ((t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0) return false;
      const p = checker.getPropertyOfType(t, name);
      if (p === undefined) continue;
      const decls = p.declarations ?? [];
      if (decls.length === 0 || !decls.every(ownedDecl)) return false;
      found = true;
    }
    return found;
  };

  for (const sf of program.getSourceFiles()) {
    const owned = isOwnedFile(sf.fileName);
    const visit = (node: ts.Node): void => {
      if (isMemberDeclaration(node)) {
        const name = memberNameText(node.name);
        if (name !== null) {
          if (!owned || ts.isEnumMember(node) || !ts.isIdentifier(node.name)) kept.add(name);
          else if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) || ts.isMethodDeclaration(node)) &&
            ts.isObjectLiteralExpression(node.parent) && !literalKeyIsOwned(node.parent, name)) kept.add(name);
          else candidates.add(name);
        }
      } else if (!owned) {
        // lib and API declarations: only their member names matter (above)
      } else if (ts.isPropertyAccessExpression(node)) {
        const symbol = checker.getSymbolAtLocation(node.name);
        const decls = symbol?.declarations ?? [];
        if (decls.length === 0 || !decls.every(ownedDecl)) kept.add(node.name.text);
        const callee = node.getText();
        if (KEY_READERS.has(callee) && ts.isCallExpression(node.parent)) {
          for (const arg of node.parent.arguments) keepTypeProps(checker.getTypeAtLocation(arg));
        }
      } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
        kept.add(node.text);
      } else if (ts.isTemplateExpression(node)) {
        kept.add(node.head.text);
        for (const s of node.templateSpans) kept.add(s.literal.text);
      } else if (ts.isBindingElement(node)) {
        const n = memberNameText(node.propertyName ?? node.name);
        if (n !== null) kept.add(n);
      } else if (ts.isForInStatement(node)) {
        keepTypeProps(checker.getTypeAtLocation(node.expression));
      } else if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        for (const arg of node.arguments ?? []) {
          const ct = checker.getContextualType(arg);
          if (ct !== undefined && (ct.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0) keepTypeProps(checker.getTypeAtLocation(arg));
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { owned: Array.from(candidates).filter((n) => !kept.has(n)).sort(), kept };
}
