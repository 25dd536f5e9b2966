/**
 * Portable-core lint: rejects TypeScript that means one thing on Node and another on Espruino or
 * on Lua 5.3 with 32-bit integers (docs/portable-core.md "The Lua build"). It walks the TypeScript
 * AST with the type checker, so it sees types (a number used as a condition) and real global
 * references (a local named `console` is fine), not text.
 *
 * Usage: npx tsx tools/lua/lint.ts [dir]   (default firmware/src/core; exit 1 on any finding)
 * Output: one `file:line: rule: message` per finding.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { CORE_DIR, createCoreProgram, listCoreFiles, SHIFT_HELPER_FILE } from './core-program';

export interface LintFinding {
  file: string;
  line: number;
  rule: string;
  message: string;
}

const PLATFORM_GLOBALS = new Set([
  'process', 'require', 'console', 'Buffer', 'globalThis',
  'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
]);
// Missing on Espruino (docs/espruino.md) and only partly emulated by TSTL's lualib.
const ES6_GLOBALS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol']);
const UINT8ARRAY_MEMBERS = new Set(['length', 'subarray', 'set', 'fill']);
const ROUNDING = new Set(['floor', 'ceil', 'round']);
const LIMIT_31 = 2147483648;

/** Lints every non-declaration source file of the program except the ones listed. */
export function lintProgram(program: ts.Program, exclude: ReadonlySet<string> = new Set()): LintFinding[] {
  const checker = program.getTypeChecker();
  const findings: LintFinding[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || exclude.has(path.resolve(sf.fileName))) continue;
    if (program.isSourceFileFromExternalLibrary(sf) || program.isSourceFileDefaultLibrary(sf)) continue;
    lintFile(sf, checker, findings);
  }
  return findings;
}

/** Lints the portable core under dir (its bits.ts, the per-runtime shift helper, is exempt). */
export function lintCore(dir: string = CORE_DIR): LintFinding[] {
  const program = createCoreProgram(listCoreFiles(dir), undefined, path.dirname(dir));
  return lintProgram(program, new Set([path.join(dir, path.basename(SHIFT_HELPER_FILE))]));
}

export function formatFinding(f: LintFinding): string {
  return `${f.file}:${f.line}: ${f.rule}: ${f.message}`;
}

function lintFile(sf: ts.SourceFile, checker: ts.TypeChecker, findings: LintFinding[]): void {
  const file = path.relative(process.cwd(), sf.fileName);
  const reported = new Set<string>();
  const report = (node: ts.Node, rule: string, message: string): void => {
    const key = `${node.getStart(sf)}:${rule}`;
    if (reported.has(key)) return; // a condition inside && is reached twice
    reported.add(key);
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    findings.push({ file, line, rule, message });
  };

  /** A number or string tested for truth: 0 and '' are true in Lua. */
  const checkCondition = (expr: ts.Expression): void => {
    const e = skipWrappers(expr);
    if (ts.isBinaryExpression(e) && isLogical(e.operatorToken.kind)) {
      checkCondition(e.left);
      checkCondition(e.right);
      return;
    }
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) return; // visited on its own
    const kind = truthyKind(checker.getTypeAtLocation(e));
    if (kind !== undefined) {
      report(e, 'truthiness', `a ${kind} used as a condition: 0 and '' are true in Lua; compare explicitly (!== 0, !== '')`);
    }
  };

  const visit = (node: ts.Node): void => {
    switch (node.kind) {
      case ts.SyntaxKind.BinaryExpression:
        checkBinary(node as ts.BinaryExpression);
        break;
      case ts.SyntaxKind.NumericLiteral: {
        const value = Number((node as ts.NumericLiteral).text.replace(/_/g, ''));
        if (value >= LIMIT_31) report(node, 'big-literal', `${(node as ts.NumericLiteral).text} is not below 2^31: 32-bit-integer Lua makes it a float`);
        break;
      }
      case ts.SyntaxKind.BigIntLiteral:
        report(node, 'big-literal', 'bigint has no counterpart on Espruino or Lua');
        break;
      case ts.SyntaxKind.RegularExpressionLiteral:
        report(node, 'regex', 'regular expressions are not supported by typescript-to-lua; scan characters instead');
        break;
      case ts.SyntaxKind.IfStatement:
        checkCondition((node as ts.IfStatement).expression);
        break;
      case ts.SyntaxKind.WhileStatement:
        checkCondition((node as ts.WhileStatement).expression);
        break;
      case ts.SyntaxKind.DoStatement:
        checkCondition((node as ts.DoStatement).expression);
        break;
      case ts.SyntaxKind.ForStatement: {
        const cond = (node as ts.ForStatement).condition;
        if (cond !== undefined) checkCondition(cond);
        break;
      }
      case ts.SyntaxKind.ConditionalExpression:
        checkCondition((node as ts.ConditionalExpression).condition);
        break;
      case ts.SyntaxKind.PrefixUnaryExpression: {
        const u = node as ts.PrefixUnaryExpression;
        if (u.operator === ts.SyntaxKind.ExclamationToken) checkCondition(u.operand);
        break;
      }
      case ts.SyntaxKind.ObjectBindingPattern:
      case ts.SyntaxKind.ArrayBindingPattern:
        report(node, 'destructuring', 'destructuring is not in the portable subset (Espruino); read fields one by one');
        break;
      case ts.SyntaxKind.SpreadElement:
      case ts.SyntaxKind.SpreadAssignment:
        report(node, 'spread', 'spread is not in the portable subset (Espruino); copy explicitly');
        break;
      case ts.SyntaxKind.Parameter: {
        const p = node as ts.ParameterDeclaration;
        if (p.dotDotDotToken !== undefined) report(p, 'rest-parameter', 'rest parameters are not in the portable subset (Espruino)');
        if (p.initializer !== undefined) report(p, 'default-parameter', 'default parameters throw on Espruino 2v20+; pass every argument');
        break;
      }
      case ts.SyntaxKind.AwaitExpression:
        report(node, 'async', 'await is not in the portable subset: the core is synchronous');
        break;
      case ts.SyntaxKind.YieldExpression:
        report(node, 'generator', 'generators are not in the portable subset');
        break;
      case ts.SyntaxKind.ForOfStatement:
        report(node, 'for-of', 'for..of is not in the portable subset; use an index loop');
        break;
      case ts.SyntaxKind.ForInStatement:
        report(node, 'for-in', 'for..in visits keys in a different order in Lua; iterate a known list');
        break;
      case ts.SyntaxKind.PropertyAccessExpression:
        checkPropertyAccess(node as ts.PropertyAccessExpression);
        break;
      case ts.SyntaxKind.ElementAccessExpression:
      case ts.SyntaxKind.CallExpression:
        if (ts.isOptionalChain(node) && (node as ts.CallExpression).questionDotToken !== undefined) {
          report(node, 'optional-chaining', '?. is not in the portable subset (Espruino); test for undefined first');
        }
        break;
      case ts.SyntaxKind.NewExpression:
        checkNew(node as ts.NewExpression);
        break;
      case ts.SyntaxKind.Identifier:
        checkIdentifier(node as ts.Identifier);
        break;
    }
    if (ts.isFunctionLike(node)) {
      if ((node as ts.FunctionLikeDeclarationBase).asteriskToken !== undefined) {
        report(node, 'generator', 'generators are not in the portable subset');
      }
      if (ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
        report(node, 'async', 'async functions are not in the portable subset: the core is synchronous');
      }
    }
    ts.forEachChild(node, visit);
  };

  const checkBinary = (b: ts.BinaryExpression): void => {
    const op = b.operatorToken.kind;
    const text = ts.tokenToString(op);
    switch (op) {
      case ts.SyntaxKind.GreaterThanGreaterThanToken:
      case ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken:
      case ts.SyntaxKind.GreaterThanGreaterThanEqualsToken:
      case ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken:
        report(b.operatorToken, 'shift-right', `${text} differs between JavaScript and Lua 5.3; use shr() from core/bits.ts`);
        break;
      case ts.SyntaxKind.AsteriskAsteriskToken:
      case ts.SyntaxKind.AsteriskAsteriskEqualsToken:
        report(b.operatorToken, 'exponent', `${text} is missing on Espruino and gives a float in Lua; multiply or shift`);
        break;
      case ts.SyntaxKind.EqualsEqualsToken:
      case ts.SyntaxKind.ExclamationEqualsToken:
        report(b.operatorToken, 'loose-equality', `${text} coerces in JavaScript and not in Lua; use === or !==`);
        break;
      case ts.SyntaxKind.SlashToken:
      case ts.SyntaxKind.SlashEqualsToken:
        if (!isRoundedDivision(b)) {
          report(b.operatorToken, 'division', `${text} gives a float in Lua 5.3 (3.0 prints as "3.0"); wrap it in Math.floor(...)`);
        }
        break;
      case ts.SyntaxKind.AmpersandAmpersandToken:
      case ts.SyntaxKind.BarBarToken:
      case ts.SyntaxKind.AmpersandAmpersandEqualsToken:
      case ts.SyntaxKind.BarBarEqualsToken:
        // The left operand is always tested; the right one only when the whole is a condition.
        checkCondition(b.left);
        break;
      case ts.SyntaxKind.EqualsToken:
        if (ts.isArrayLiteralExpression(b.left) || ts.isObjectLiteralExpression(b.left)) {
          report(b.left, 'destructuring', 'destructuring is not in the portable subset (Espruino); assign fields one by one');
        }
        break;
    }
  };

  const checkPropertyAccess = (p: ts.PropertyAccessExpression): void => {
    if (p.questionDotToken !== undefined) {
      report(p, 'optional-chaining', '?. is not in the portable subset (Espruino); test for undefined first');
    }
    const member = p.name.text;
    if (ts.isIdentifier(p.expression) && p.expression.text === 'Uint8Array' && isGlobalReference(p.expression)) {
      report(p, 'uint8array', `Uint8Array.${member} is not provided by the Lua byte array; use new Uint8Array(n) and bytes.ts helpers`);
      return;
    }
    if (!UINT8ARRAY_MEMBERS.has(member) && isUint8Array(checker.getTypeAtLocation(p.expression))) {
      report(p.name, 'uint8array', `.${member} on a Uint8Array: only indexing, .length, .subarray, .set and .fill work in Lua; use bytes.ts helpers`);
    }
  };

  const checkNew = (n: ts.NewExpression): void => {
    if (!ts.isIdentifier(n.expression) || n.expression.text !== 'Uint8Array' || !isGlobalReference(n.expression)) return;
    const args = n.arguments ?? ts.factory.createNodeArray();
    const arg = args.length === 1 ? args[0] : undefined;
    const ok =
      arg !== undefined &&
      (isNumberLike(checker.getTypeAtLocation(arg)) ||
        (ts.isArrayLiteralExpression(arg) &&
          arg.elements.every((e) => !ts.isSpreadElement(e) && isNumberLike(checker.getTypeAtLocation(e)))));
    if (!ok) {
      report(n, 'uint8array', 'only new Uint8Array(length) and new Uint8Array([byte, ...]) (an array literal) work with the Lua byte array');
    }
  };

  const checkIdentifier = (id: ts.Identifier): void => {
    const name = id.text;
    const platform = PLATFORM_GLOBALS.has(name);
    const es6 = ES6_GLOBALS.has(name);
    if (!platform && !es6 && name !== 'RegExp') return;
    if (!isReference(id) || !isGlobalReference(id)) return;
    if (platform) report(id, 'platform-global', `${name} is a platform global; the core gets I/O and time through its ports (firmware/src/core/ports)`);
    else if (es6) report(id, 'es6-global', `${name} is missing on Espruino; use arrays or plain objects with explicit keys`);
    else report(id, 'regex', 'RegExp is not supported by typescript-to-lua; scan characters instead');
  };

  /** True when the identifier is unresolved or resolves only to ambient (.d.ts) declarations. */
  const isGlobalReference = (id: ts.Identifier): boolean => {
    const symbol = checker.getSymbolAtLocation(id);
    const decls = symbol?.getDeclarations() ?? [];
    return decls.every((d) => d.getSourceFile().isDeclarationFile);
  };

  const isUint8Array = (type: ts.Type): boolean => {
    if (type.isUnion()) return type.types.some(isUint8Array);
    return type.getSymbol()?.getName() === 'Uint8Array';
  };

  visit(sf);
}

function isLogical(kind: ts.SyntaxKind): boolean {
  return kind === ts.SyntaxKind.AmpersandAmpersandToken || kind === ts.SyntaxKind.BarBarToken;
}

const TRUTHY_FLAGS: [ts.TypeFlags, string][] = [
  [ts.TypeFlags.NumberLike, 'number'],
  [ts.TypeFlags.StringLike, 'string'],
  [ts.TypeFlags.BigIntLike, 'bigint'],
];

/** 'number' / 'string' when a value of this type can be 0 or '' (a union counts if any member can). */
function truthyKind(type: ts.Type): string | undefined {
  const parts = type.isUnion() ? type.types : [type];
  for (const t of parts) {
    for (const [flag, name] of TRUTHY_FLAGS) if ((t.flags & flag) !== 0) return name;
  }
  return undefined;
}

function isNumberLike(type: ts.Type): boolean {
  const parts = type.isUnion() ? type.types : [type];
  return parts.every((t) => (t.flags & ts.TypeFlags.NumberLike) !== 0);
}

/** `x / y` written directly as the argument of Math.floor, Math.ceil or Math.round. */
function isRoundedDivision(b: ts.BinaryExpression): boolean {
  let node: ts.Node = b;
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  const call = node.parent;
  if (!ts.isCallExpression(call) || call.arguments.length !== 1 || call.arguments[0] !== node) return false;
  const callee = call.expression;
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Math' &&
    ROUNDING.has(callee.name.text)
  );
}

/** An identifier used as a value or type name (not a property name, key or declared name). */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if (ts.isQualifiedName(parent) && parent.right === id) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) ||
    ts.isPropertySignature(parent) || ts.isMethodSignature(parent) || ts.isGetAccessor(parent) ||
    ts.isSetAccessor(parent) || ts.isEnumMember(parent)) && parent.name === id) return false;
  if (isNamedBy(parent, id)) return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return false;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  return true;
}

/** Parentheses, type assertions and `!` do not change what a condition tests. */
function skipWrappers(e: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) ||
    ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

/** The identifier is the name a declaration introduces (a local may be called `console`). */
function isNamedBy(parent: ts.Node, id: ts.Identifier): boolean {
  return (
    (ts.isVariableDeclaration(parent) || ts.isFunctionDeclaration(parent) || ts.isFunctionExpression(parent) ||
      ts.isClassDeclaration(parent) || ts.isClassExpression(parent) || ts.isParameter(parent) ||
      ts.isBindingElement(parent) || ts.isInterfaceDeclaration(parent) || ts.isTypeAliasDeclaration(parent) ||
      ts.isEnumDeclaration(parent) || ts.isModuleDeclaration(parent) || ts.isImportClause(parent) ||
      ts.isNamespaceImport(parent) || ts.isImportEqualsDeclaration(parent) || ts.isTypeParameterDeclaration(parent)) &&
    parent.name === id
  );
}

function main(argv: string[]): number {
  const dir = path.resolve(argv[0] ?? CORE_DIR);
  const findings = lintCore(dir);
  for (const f of findings) console.error(formatFinding(f));
  if (findings.length > 0) {
    console.error(`portable-core lint: ${findings.length} finding(s) (docs/portable-core.md)`);
    return 1;
  }
  console.log(`portable-core lint: ${path.relative(process.cwd(), dir) || '.'} is clean`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
