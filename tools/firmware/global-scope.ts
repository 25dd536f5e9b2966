/**
 * Build step: the bundle's top level runs in Espruino's global scope instead of inside an IIFE.
 *
 * Espruino gives every function created inside another function's scope a link to that scope: one
 * more JsVar per function and per class method for as long as the firmware runs (src/jsparse.c,
 * jspeFunctionDefinitionInternal stores JSPARSE_FUNCTION_SCOPE_NAME when there is a scope). A
 * function declared at the top level of the boot code has none. The firmware defines ~600
 * functions and methods, so leaving the IIFE saves ~600 JsVars at boot.
 *
 * The top-level names then live on the root object, beside Espruino's own globals and whatever a
 * user types at the console. A top-level name is renamed when it would shadow one of Espruino's
 * globals (`D0` is a pin) or is one letter long (what a user types first: `a=1`, `x=2`). The new
 * name appears nowhere else in the bundle. Renaming needs no scope analysis because esbuild gives
 * top-level names no other binding; the step refuses a bundle where that is not so.
 */
import { parse } from 'acorn';
import { type AstNode, children, declaredIdentifiers, isNode, isPropertyName } from './ast';
import { ESPRUINO_RESERVED_WORDS } from './espruino-lexer';

/**
 * Espruino 2v29's global names (gen/jswrapper.c jswSymbols_global_str of the ESP32 build) and
 * board names (ESP32 pins D0..D39, boards/ESP32.py LED1 and BTN1) a short top-level name could
 * shadow.
 */
export const ESPRUINO_GLOBALS: ReadonlySet<string> = new Set(
  [
    'AES', 'Array', 'ArrayBuffer', 'ArrayBufferView', 'Boolean', 'DataView', 'Date', 'E', 'Error', 'File', 'Float32Array',
    'Float64Array', 'Function', 'Graphics', 'HIGH', 'I2C', 'I2C1', 'I2C2', 'I2C3', 'Infinity', 'Int16Array', 'Int32Array',
    'Int8Array', 'InternalError', 'JSON', 'LOW', 'LoopbackA', 'LoopbackB', 'Math', 'Modules', 'NaN', 'Number', 'Object',
    'OneWire', 'Pin', 'Promise', 'ReferenceError', 'RegExp', 'SPI', 'SPI1', 'SPI2', 'SPI3', 'Serial', 'Serial1', 'Serial2',
    'Serial3', 'Serial4', 'Serial5', 'Serial6', 'Server', 'Socket', 'StorageFile', 'String', 'SyntaxError', 'Telnet',
    'TypeError', 'USB', 'Uint16Array', 'Uint24Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray', 'Waveform',
    'analogRead', 'analogWrite', 'arguments', 'atob', 'btoa', 'changeInterval', 'clearInterval', 'clearTimeout',
    'clearWatch', 'console', 'decodeURIComponent', 'dgramSocket', 'digitalPulse', 'digitalRead', 'digitalWrite', 'dump',
    'echo', 'edit', 'encodeURIComponent', 'eval', 'getPinMode', 'getSerial', 'getTime', 'global', 'globalThis', 'isFinite',
    'isNaN', 'load', 'parseFloat', 'parseInt', 'peek16', 'peek32', 'peek8', 'pinMode', 'poke16', 'poke32', 'poke8', 'print',
    'process', 'require', 'reset', 'save', 'setBusyIndicator', 'setInterval', 'setSleepIndicator', 'setTime', 'setTimeout',
    'setWatch', 'shiftOut', 'trace', 'url', 'LED1', 'BTN1', 'BTN',
  ].concat(Array.from({ length: 40 }, (_, i) => `D${i}`)),
);

const IIFE_HEAD = '(function(){';
const IIFE_TAIL = '})();';

function topLevelNames(body: AstNode[]): AstNode[] {
  const ids: AstNode[] = [];
  for (const s of body) {
    if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && isNode(s.id)) ids.push(s.id);
    if (s.type === 'VariableDeclaration') for (const d of s.declarations as AstNode[]) if ((d.id as AstNode).type === 'Identifier') ids.push(d.id as AstNode);
  }
  return ids;
}

/** Every identifier that declares a binding anywhere. */
function allBindings(program: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const walk = (node: AstNode): void => {
    out.push(...declaredIdentifiers(node));
    for (const c of children(node)) walk(c);
  };
  walk(program);
  return out;
}


/** Names of two characters that occur nowhere in the code and are neither Espruino's nor reserved words, in a fixed order. */
function* freshNames(code: string): Generator<string> {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
  const next = first + '0123456789';
  const used = new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);
  for (const a of first) for (const b of next) if (!used.has(a + b) && !ESPRUINO_GLOBALS.has(a + b) && !ESPRUINO_RESERVED_WORDS.has(a + b)) yield a + b;
}

export interface GlobalScopeResult {
  code: string;
  /** Top-level names renamed, old -> new. */
  renamed: Record<string, string>;
  /** Why the bundle cannot run at the top level (empty when it can). */
  problems: string[];
}

/** `(function(){BODY})();` -> BODY with the renames above. */
export function toGlobalScope(code: string): GlobalScopeResult {
  const trimmed = code.trim();
  if (!trimmed.startsWith(IIFE_HEAD) || !trimmed.endsWith(IIFE_TAIL)) {
    return { code, renamed: {}, problems: ['global scope: the bundle is not one (function(){...})(); wrapper'] };
  }
  const body = trimmed.slice(IIFE_HEAD.length, trimmed.length - IIFE_TAIL.length);
  const program = parse(body, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AstNode;
  const top = topLevelNames(program.body as AstNode[]);
  const topIds = new Set(top);
  const problems: string[] = [];
  const boundElsewhere = new Set(allBindings(program).filter((id) => !topIds.has(id)).map((id) => id.name as string));
  const seen = new Set<string>();
  for (const id of top) {
    const name = id.name as string;
    if (seen.has(name)) problems.push(`global scope: top-level name ${name} is declared twice`);
    seen.add(name);
  }
  const renamed: Record<string, string> = {};
  const fresh = freshNames(body);
  for (const name of seen) {
    if (name.length > 1 && !ESPRUINO_GLOBALS.has(name)) continue;
    if (boundElsewhere.has(name)) {
      problems.push(`global scope: top-level name ${name} has to be renamed but is also bound inside a function`);
      continue;
    }
    renamed[name] = fresh.next().value as string;
  }
  if (problems.length > 0) return { code, renamed: {}, problems };
  const edits: { at: number; end: number; text: string }[] = [];
  const walk = (node: AstNode, parent: AstNode | null): void => {
    if (node.type === 'Identifier' && Object.hasOwn(renamed, node.name as string) && !isPropertyName(node, parent)) {
      const to = renamed[node.name as string];
      const shorthand = parent !== null && parent.type === 'Property' && parent.shorthand === true;
      edits.push({ at: node.start, end: node.end, text: shorthand ? `${String(node.name)}:${to}` : to });
    }
    // a shorthand property's key and value are two nodes over the same text: visit it once
    const kids = node.type === 'Property' && node.shorthand === true ? [node.value as AstNode] : children(node);
    for (const child of kids) walk(child, node);
  };
  walk(program, null);
  edits.sort((a, b) => b.at - a.at);
  let out = body;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return { code: out.trim() + '\n', renamed, problems: [] };
}
