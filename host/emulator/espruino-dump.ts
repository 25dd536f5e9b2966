/**
 * E.dumpStr(): the interpreter state as JavaScript that would rebuild it, in the text Espruino 2v29
 * prints (src/jsinteractive.c jsiDumpState, jsiDumpHardwareInitialisation; src/jswrap_json.c
 * jsfGetJSONWithCallback with JSON_SOME_NEWLINES | JSON_PRETTY | JSON_SHOW_DEVICES): global functions
 * and variables, timers, I2C1.setup, pins away from their default state, then the code in .bootrst
 * or .bootcde under "// Code saved with E.setBootCode".
 *
 * Function text is rebuilt from the source V8 holds (acorn): Espruino keeps the body's source from
 * its first token to about its last (src/jsparse.c jspeFunctionDefinitionInternal); the emulator
 * takes first to last statement, so whitespace at the ends can differ. Not emulated: top-level let/const (a vm script keeps them off the
 * global object), state added to built-in objects (E.on(...), Serial1.on(...)), setWatch, echo(0).
 */
import { parseExpressionAt, type Node as AcornNode } from 'acorn';
import { ESP32_BOARD_PINS, EmulatedPin } from './espruino-pins';
import { isDataView } from './espruino-hardware';
import { espruinoNumber, espruinoQuote } from './espruino-values';

type AstNode = AcornNode & { [key: string]: unknown };

export interface DumpTimer {
  id: number;
  callback: unknown;
  /** setInterval's period; null for setTimeout. */
  intervalMs: number | null;
  /** Time until it next fires. */
  dueInMs: number;
}

export interface DumpSources {
  global: { [name: string]: unknown };
  /** Global names the interpreter itself defines (not dumped). */
  builtins: ReadonlySet<string>;
  timers: DumpTimer[];
  /** What I2C1.setup() was given, if it was called. */
  i2cSetup: object | null;
  pins: readonly EmulatedPin[];
  bootCode: string | undefined;
}

/** JSON_ITEMS_ON_LINE_OBJECT in src/jswrap_json.c. */
const ITEMS_ON_LINE_OBJECT = 4;
const INDENT = '  ';
const LED_PINS: readonly string[] = [ESP32_BOARD_PINS.LED1];

export function dumpState(s: DumpSources): string {
  let out = '';
  const rootNameOf = (v: unknown, except: string | null): string | null => {
    if (typeof v !== 'object' && typeof v !== 'function') return null;
    for (const name of Object.keys(s.global)) if (name !== except && !s.builtins.has(name) && s.global[name] === v) return name;
    return null;
  };
  /** jsiDumpJSON: a value that is a global is written by its name. */
  const dumpJson = (v: unknown, except: string | null): string => rootNameOf(v, except) ?? espruinoJson(v, true);

  for (const name of Object.keys(s.global)) {
    if (s.builtins.has(name)) continue;
    const v = s.global[name];
    if (typeof v === 'function') {
      out += `function ${name}${functionText(v)}\n${dumpMembers(name, v)}`;
      continue;
    }
    const protoOwner = constructorNameOf(v, s);
    if (protoOwner !== null) {
      out += `var ${name} = Object.create(${protoOwner}["prototype"]);\n${dumpMembers(name, v as object)}`;
    } else {
      out += `var ${name} = ${dumpJson(v, name)};\n`;
    }
  }
  for (const t of s.timers) {
    const ms = t.intervalMs ?? Math.round(Math.max(0, t.dueInMs) * 1000) / 1000;
    out += `${t.intervalMs !== null ? 'setInterval' : 'setTimeout'}(${dumpJson(t.callback, null)}, ${espruinoNumber(ms)}); // ${t.id}\n`;
  }
  if (s.i2cSetup !== null) out += `I2C1.setup(${espruinoJson(s.i2cSetup, false)});\n`;
  for (const pin of s.pins) out += pinInitialisation(pin);
  if (s.bootCode !== undefined) out += `// Code saved with E.setBootCode\n${s.bootCode}`;
  return out;
}

/** jsiDumpHardwareInitialisation for one pin. */
function pinInitialisation(pin: EmulatedPin): string {
  const mode = pin.getMode();
  if (mode === 'output' && !pin.isManual) {
    if (!pin.high && LED_PINS.includes(pin.name)) return '';
    return `digitalWrite(${pin.name}, ${pin.high ? 1 : 0});\n`;
  }
  // jshIsPinStateDefault (src/jshardware_common.c): plain inputs and analog are how pins come up
  if (mode === undefined || mode === 'input' || mode === 'analog') return '';
  return `pinMode(${pin.name}, "${mode}"${pin.isManual ? '' : ', true'});\n`;
}

/** jsiDumpObjectState: `name.key = value;` for each member, prototype members first. */
function dumpMembers(name: string, v: object): string {
  let out = '';
  if (typeof v === 'function' && typeof (v as { prototype?: unknown }).prototype === 'object') {
    out += dumpMembers(`${name}.prototype`, (v as { prototype: object }).prototype);
  }
  for (const key of Object.getOwnPropertyNames(v)) {
    if (isStandardMember(v, key)) continue;
    const member = Object.getOwnPropertyDescriptor(v, key);
    if (member === undefined || !('value' in member)) continue;
    out += `${name}.${key} = ${espruinoJson(member.value, true)};\n`;
  }
  return out;
}

function isStandardMember(owner: object, key: string): boolean {
  if (typeof owner === 'function') return ['length', 'name', 'prototype', 'arguments', 'caller'].includes(key);
  return key === 'constructor' && typeof (owner as { constructor?: unknown }).constructor === 'function';
}

/** `Object.create(X["prototype"])` when the value's prototype belongs to a global function. */
function constructorNameOf(v: unknown, s: DumpSources): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return null;
  const proto = Object.getPrototypeOf(v) as object | null;
  for (const name of Object.keys(s.global)) {
    const f = s.global[name];
    if (!s.builtins.has(name) && typeof f === 'function' && (f as { prototype?: unknown }).prototype === proto) return name;
  }
  return null;
}

/** jsfGetJSONWithCallback; `pretty` is JSON_PRETTY | JSON_SOME_NEWLINES, otherwise compact. */
export function espruinoJson(v: unknown, pretty: boolean, depth = 0, seen: Set<object> = new Set()): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return espruinoQuote(v);
  if (typeof v === 'number') return espruinoNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return `function ${functionText(v)}`;
  if (typeof v !== 'object') return String(v);
  if (isPin(v)) return v.toString();
  if (seen.has(v)) return ' ... ';
  seen.add(v);
  try {
    if (ArrayBuffer.isView(v) || Object.prototype.toString.call(v) === '[object ArrayBuffer]') return arrayBufferJson(v, pretty);
    const sep = pretty ? ', ' : ',';
    const newLine = (level: number): string => `\n${INDENT.repeat(level)}`;
    let out = '';
    let needNewLine = false;
    let first = true;
    let sinceNewLine = 0;
    const item = (text: string, value: unknown, limitPerLine: boolean): void => {
      sinceNewLine++;
      if (!first) out += sep;
      first = false;
      const newNeedsNewLine = pretty && needsNewLine(value);
      if (pretty && limitPerLine && sinceNewLine > ITEMS_ON_LINE_OBJECT) needNewLine = true;
      if (needNewLine || newNeedsNewLine) {
        out += newLine(depth + 1);
        sinceNewLine = 0;
      }
      out += text;
      needNewLine = newNeedsNewLine;
    };
    const json = (x: unknown): string => espruinoJson(x, pretty, depth + 1, seen);
    const key = (k: string): string => `${espruinoQuote(k)}${pretty ? ': ' : ':'}`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) item(json(v[i]), v[i], false);
      return `${pretty ? '[ ' : '['}${out}${needNewLine ? newLine(depth) : ''}${pretty ? ' ]' : ']'}`;
    }
    for (const k of Object.keys(v)) item(`${key(k)}${json((v as { [k: string]: unknown })[k])}`, (v as { [k: string]: unknown })[k], true);
    return `${pretty ? '{ ' : '{'}${out}${needNewLine ? newLine(depth) : ''}${pretty ? ' }' : '}'}`;
  } finally {
    seen.delete(v);
  }
}

/** jsonNeedsNewLine: anything but undefined, null, numbers and booleans (and pins, which are numbers in Espruino). */
function needsNewLine(v: unknown): boolean {
  return !(v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean' || isPin(v));
}

function isPin(v: unknown): v is EmulatedPin {
  return v instanceof EmulatedPin;
}

/** An all-zero buffer as `new Uint8Array(n)`, otherwise its elements; an ArrayBuffer through a Uint8Array. */
function arrayBufferJson(v: object, pretty: boolean): string {
  const isView = ArrayBuffer.isView(v);
  const name = isView ? (v as { constructor: { name: string } }).constructor.name : 'ArrayBuffer';
  const elements = isView
    ? isDataView(v) ? Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) : Array.from(v as unknown as ArrayLike<number>)
    : Array.from(new Uint8Array(v as ArrayBuffer));
  if (elements.every((e) => e === 0)) return `new ${name}(${elements.length})`;
  const list = elements.map((e) => espruinoNumber(e)).join(pretty ? ', ' : ',');
  return name === 'ArrayBuffer' ? `new Uint8Array([${list}]).buffer` : `new ${name}([${list}])`;
}

/**
 * jsfGetJSONForFunctionWithCallback: `(a,b) {code}`, with `{\n  code\n}` when the code spans lines and
 * `return ` before an arrow function's expression body. Native functions: `() { [native code] }`.
 */
export function functionText(fn: unknown): string {
  const source = Function.prototype.toString.call(fn);
  const node = functionNode(source);
  if (node === null) return '() { [native code] }';
  const params = (node.params as AstNode[]).map((p) => source.slice(p.start, p.end)).join(',');
  const body = node.body as AstNode | null;
  let code = '';
  if (body !== null && body.type !== 'BlockStatement') {
    code = `return ${source.slice(body.start, body.end)}`;
  } else if (body !== null) {
    const statements = body.body as AstNode[];
    if (statements.length > 0) {
      const first = statements[0];
      const end = statements[statements.length - 1].end;
      // a body that starts with `return` is kept without it, and written back with "return "
      const rest = first.type === 'ReturnStatement' ? source.slice(first.start + 'return'.length, end).trim() : '';
      code = first.type !== 'ReturnStatement' ? source.slice(first.start, end) : rest === '' ? '' : `return ${rest}`;
    }
  }
  return code.includes('\n') ? `(${params}) {\n  ${code}\n}` : `(${params}) {${code}}`;
}

/** The function (or a class's constructor) that `source` defines; null for native code. */
function functionNode(source: string): AstNode | null {
  if (/\{\s*\[native code\]\s*\}$/.test(source)) return null;
  let expr: AstNode;
  try {
    expr = parseExpressionAt(`(${source})`, 0, { ecmaVersion: 'latest' }) as AstNode;
  } catch {
    // a method's text (`m() {...}`) is not an expression on its own
    const obj = parseExpressionAt(`({${source}})`, 0, { ecmaVersion: 'latest' }) as AstNode;
    const fn = ((obj.properties as AstNode[])[0].value as AstNode);
    return shift(fn, -2);
  }
  if (expr.type === 'ClassExpression') {
    const ctor = ((expr.body as AstNode).body as AstNode[]).find((m) => m.kind === 'constructor');
    return ctor === undefined ? ({ params: [], body: null } as unknown as AstNode) : shift(ctor.value as AstNode, -1);
  }
  return shift(expr, -1);
}

/** Positions in the wrapped text back to positions in the function's own source. */
function shift(node: AstNode, by: number): AstNode {
  const move = (n: AstNode): AstNode => ({ ...n, start: n.start + by, end: n.end + by }) as AstNode;
  const body = node.body as AstNode;
  const movedBody = body.type === 'BlockStatement' ? { ...move(body), body: (body.body as AstNode[]).map(move) } : move(body);
  return { ...node, params: (node.params as AstNode[]).map(move), body: movedBody } as AstNode;
}
