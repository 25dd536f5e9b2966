/**
 * Espruino syntax gate: does this JavaScript use only what Espruino's interpreter runs?
 * (docs/espruino.md "Language": ES5 minus labels and `with`, plus arrow functions, classes, template
 * literals, let/const, `??`, optional catch binding; no destructuring, spread/rest, default
 * parameters, for..of, generators, async, `**`, `?.`, modules, Map/Set/WeakMap/Symbol,
 * Promise.finally, Object.freeze/seal.) Object shorthand `{a, m() {}}` is accepted: Espruino's
 * parser has it unless built with SAVE_ON_FLASH, which the ESP32 build is not (src/jsparse.c
 * jspeFactorObject, ESPR_NO_PROPERTY_SHORTHAND / ESPR_NO_OBJECT_METHODS in src/jsutils.h);
 * computed keys `{[k]: v}` are not, and `class A extends B` needs a plain name after `extends`
 * (jspeClassDefinition matches an identifier).
 *
 * V8 accepts all of these, so a bundle that runs under Node can still fail on the board; the build
 * runs this gate on the exact bytes it flashes. The code is parsed at the newest ECMAScript level so
 * a forbidden construct is reported by name and position instead of as a bare parse error.
 */
import { parse, type Options } from 'acorn';
import { type AstNode, children, isFunctionNode, isNode, locationOf } from './ast';
import { findUsesBeforeDefinition } from './define-before-use';
import { ESPRUINO_RESERVED_WORDS } from './espruino-lexer';
import { espruinoRegexProblem } from './espruino-regex';
import { throwingPropertiesInTry } from './try-object-literal';

export interface GateViolation {
  /** Short name of the construct, e.g. "destructuring". */
  construct: string;
  line: number;
  column: number;
  detail: string;
}

const PARSE_OPTIONS: Options = { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowReturnOutsideFunction: false };

/** Globals Espruino does not have (docs/espruino.md "Language"). */
const MISSING_GLOBALS: { [name: string]: string } = {
  Map: 'Map',
  Set: 'Set',
  WeakMap: 'WeakMap',
  WeakSet: 'WeakSet',
  WeakRef: 'WeakRef',
  Symbol: 'Symbol',
  Proxy: 'Proxy',
  Reflect: 'Reflect',
  BigInt: 'BigInt',
};

/** Methods Espruino does not have, flagged wherever they are named as a property. */
const MISSING_METHODS: { [name: string]: string } = {
  finally: 'Promise.finally',
  lastIndexOf: 'lastIndexOf',
};

/** Static methods of Object that Espruino does not have (only as `Object.x`). */
const MISSING_OBJECT_STATICS: { [name: string]: string } = {
  freeze: 'Object.freeze',
  seal: 'Object.seal',
  isFrozen: 'Object.isFrozen',
  isSealed: 'Object.isSealed',
};

/** Parses `code` and returns every construct Espruino cannot run, in source order. */
export function checkEspruinoSyntax(code: string): GateViolation[] {
  let program: AstNode;
  try {
    program = parse(code, PARSE_OPTIONS) as unknown as AstNode;
  } catch (err) {
    const e = err as SyntaxError & { loc?: { line: number; column: number } };
    const moduleSyntax = /'import' and 'export'/.test(e.message);
    return [
      {
        construct: moduleSyntax ? 'import/export (modules)' : 'syntax error',
        line: e.loc ? e.loc.line : 0,
        column: e.loc ? e.loc.column + 1 : 0,
        detail: e.message,
      },
    ];
  }
  const violations: GateViolation[] = [];
  visit(program, null, violations);
  for (const node of bareReturnsClosingAFunction(program, code)) {
    report(violations, node, 'bare return at function end',
      "a 'return' with no value and no ';' just before the function's '}': Espruino stores the body without that '}' and the return meets end of input (write 'return;')");
  }
  for (const node of throwingPropertiesInTry(program)) {
    report(violations, node, 'throwing property in try',
      'a value that may throw inside an object literal in a try block, with more properties after it: Espruino reports that exception as Uncaught instead of running the catch (compute the value first, or make it the last property)');
  }
  for (const use of findUsesBeforeDefinition(program)) {
    violations.push({
      construct: 'use before definition',
      line: use.line,
      column: use.column,
      detail: `'${use.name}' is used before its top-level definition runs (Espruino does not hoist; docs/espruino.md)`,
    });
  }
  violations.sort((a, b) => a.line - b.line || a.column - b.column);
  return violations;
}

/** One line per violation, for build output. */
export function formatViolations(file: string, violations: GateViolation[]): string {
  return violations.map((v) => `${file}:${v.line}:${v.column}: ${v.construct}: ${v.detail}`).join('\n');
}

function report(out: GateViolation[], node: AstNode, construct: string, detail: string): void {
  const loc = locationOf(node);
  out.push({ construct, line: loc.line, column: loc.column, detail });
}

function visit(node: AstNode, parent: AstNode | null, out: GateViolation[]): void {
  checkNode(node, parent, out);
  for (const child of children(node)) visit(child, node, out);
}

function checkNode(node: AstNode, parent: AstNode | null, out: GateViolation[]): void {
  switch (node.type) {
    case 'ObjectPattern':
    case 'ArrayPattern':
      report(out, node, 'destructuring', 'destructuring patterns are not supported by Espruino');
      return;
    case 'SpreadElement':
      report(out, node, 'spread', 'spread (...) is not supported by Espruino');
      return;
    case 'RestElement':
      report(out, node, 'rest parameter', 'rest elements (...) are not supported by Espruino');
      return;
    case 'AssignmentPattern':
      report(out, node, 'default parameter', 'default values in parameters/patterns are not supported by Espruino');
      return;
    case 'ForOfStatement':
      report(out, node, 'for..of', 'for..of needs iterators, which Espruino lacks');
      return;
    case 'YieldExpression':
      report(out, node, 'generator', 'yield is not supported by Espruino');
      return;
    case 'AwaitExpression':
      report(out, node, 'async', 'await is not supported by Espruino');
      return;
    case 'ChainExpression':
      report(out, node, 'optional chaining', '?. is not supported by Espruino');
      return;
    case 'LabeledStatement':
      report(out, node, 'label', 'labelled statements are not supported by Espruino');
      return;
    case 'WithStatement':
      report(out, node, 'with', 'with is not supported by Espruino');
      return;
    case 'TaggedTemplateExpression':
      report(out, node, 'tagged template', 'tagged templates are not supported by Espruino');
      return;
    case 'MetaProperty':
      report(out, node, 'meta property', 'new.target / import.meta are not supported by Espruino');
      return;
    case 'ImportExpression':
      report(out, node, 'import/export (modules)', 'dynamic import() is not supported by Espruino');
      return;
    case 'PropertyDefinition':
    case 'PrivateIdentifier':
    case 'StaticBlock':
      report(out, node, 'class field', 'class fields and static blocks are not supported by Espruino');
      return;
    case 'BinaryExpression':
      if (node.operator === '**') report(out, node, '**', 'the ** operator is not supported by Espruino');
      return;
    case 'AssignmentExpression':
      if (node.operator === '**=') report(out, node, '**', 'the **= operator is not supported by Espruino');
      if (node.operator === '??=' || node.operator === '||=' || node.operator === '&&=') {
        report(out, node, 'logical assignment', `${String(node.operator)} is not supported by Espruino`);
      }
      return;
    case 'Literal': {
      if (typeof node.bigint === 'string') report(out, node, 'BigInt', 'BigInt literals are not supported by Espruino');
      const regex = node.regex as { pattern: string; flags: string } | undefined;
      const problem = regex === undefined ? null : espruinoRegexProblem(regex.pattern, regex.flags);
      if (problem !== null) report(out, node, 'regular expression', `/${regex!.pattern}/${regex!.flags}: ${problem}`);
      return;
    }
    case 'Property':
      if (node.computed === true) report(out, node, 'computed key', 'computed object keys are not parsed by Espruino');
      return;
    case 'MethodDefinition': {
      if (node.computed === true) report(out, node, 'computed key', 'computed method names are not parsed by Espruino');
      const key = node.key as AstNode;
      if (key.type === 'Identifier' && ESPRUINO_RESERVED_WORDS.has(key.name as string)) {
        report(out, key, 'reserved word as class member', `a class member named '${String(key.name)}': Espruino's class parser reads it as the keyword`);
      }
      return;
    }
    case 'ClassDeclaration':
    case 'ClassExpression':
      if (isNode(node.superClass) && node.superClass.type !== 'Identifier') {
        report(out, node.superClass, 'class extends expression', 'Espruino needs a plain name after extends');
      }
      return;
    case 'Identifier':
      checkIdentifier(node, parent, out);
      return;
    default:
      if (isFunctionNode(node)) {
        if (node.generator === true) report(out, node, 'generator', 'generator functions are not supported by Espruino');
        if (node.async === true) report(out, node, 'async', 'async functions are not supported by Espruino');
      }
  }
}

function checkIdentifier(node: AstNode, parent: AstNode | null, out: GateViolation[]): void {
  const name = node.name as string;
  const isPropertyName =
    parent !== null &&
    ((parent.type === 'MemberExpression' && parent.property === node && parent.computed !== true) ||
      ((parent.type === 'Property' || parent.type === 'MethodDefinition') && parent.key === node && parent.computed !== true));
  if (isPropertyName) {
    const onObject = parent !== null && parent.type === 'MemberExpression' && (parent.object as AstNode).type === 'Identifier' &&
      (parent.object as AstNode).name === 'Object';
    const missing = Object.prototype.hasOwnProperty.call(MISSING_METHODS, name)
      ? MISSING_METHODS[name]
      : onObject && Object.prototype.hasOwnProperty.call(MISSING_OBJECT_STATICS, name)
        ? MISSING_OBJECT_STATICS[name]
        : null;
    if (missing !== null) report(out, node, missing, `${missing} does not exist in Espruino`);
    return;
  }
  if (ESPRUINO_RESERVED_WORDS.has(name) && (name !== 'undefined' || isBinding(node, parent))) {
    report(out, node, 'reserved word as name', `'${name}' is a reserved word in Espruino's lexer and cannot name a variable`);
    return;
  }
  if (Object.prototype.hasOwnProperty.call(MISSING_GLOBALS, name)) {
    report(out, node, MISSING_GLOBALS[name], `${name} does not exist in Espruino`);
  }
}

/** Is this identifier declared here (variable, parameter, function or class name)? */
export function isBinding(node: AstNode, parent: AstNode | null): boolean {
  if (parent === null) return false;
  if (parent.type === 'VariableDeclarator') return parent.id === node;
  if (isFunctionNode(parent)) return parent.id === node || (parent.params as AstNode[]).includes(node);
  if (parent.type === 'ClassDeclaration' || parent.type === 'ClassExpression') return parent.id === node;
  if (parent.type === 'CatchClause') return parent.param === node;
  return false;
}

/** `return` with no value and no `;` whose next token is the `}` closing a function body. */
export function bareReturnsClosingAFunction(program: AstNode, code: string): AstNode[] {
  const bodyEnds = new Set<number>();
  const returns: AstNode[] = [];
  const walk = (node: AstNode): void => {
    if (isFunctionNode(node) && (node.body as AstNode).type === 'BlockStatement') bodyEnds.add((node.body as AstNode).end - 1);
    if (node.type === 'ReturnStatement' && node.argument === null && code[node.end - 1] !== ';') returns.push(node);
    for (const child of children(node)) walk(child);
  };
  walk(program);
  return returns.filter((r) => bodyEnds.has(nextTokenAt(code, r.end)));
}

/** Index of the first character at or after `i` that is not whitespace or a comment. */
function nextTokenAt(code: string, i: number): number {
  while (i < code.length) {
    if (/\s/.test(code[i])) i++;
    else if (code.startsWith('//', i)) i = code.indexOf('\n', i) < 0 ? code.length : code.indexOf('\n', i);
    else if (code.startsWith('/*', i)) i = code.indexOf('*/', i + 2) < 0 ? code.length : code.indexOf('*/', i + 2) + 2;
    else return i;
  }
  return i;
}
