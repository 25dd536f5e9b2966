/**
 * "Same vectors, same answers": a vector file is a list of cases, each a few steps that
 * call into the portable core. Node runs the steps on the TypeScript sources, Lua runs the same
 * steps on the Lua build, and both print one line per step in one text encoding; the lines must
 * be identical. Where a vector has a published answer (FIPS-197, RFC 4493...), the step's
 * `expect` pins the Node result to it as well.
 *
 * Vector file (test/lua/vectors/*.json):
 *   { "title": "...", "source": "where the vectors come from",
 *     "cases": [ { "name": "unique in the file", "steps": [ step, ... ] } ] }
 * Steps (module = path under firmware/src without extension, e.g. "core/crypto/aes"):
 *   { "let": "out", "value": V }                          bind a variable, no output line
 *   { "call": "core/bytes#xorInto", "args": [V...] }     call an exported function
 *   { "call": "aes.setKey", "args": [V...] }             call a method of a bound variable
 *   { "new": "core/crypto/aes#SoftAes", "args": [V...] } construct; the line shows its fields
 *   { "get": "core/sw#SW" }                               an exported value
 *   optional on call/new/get: "as": "name" binds the result;
 *   optional on call: "expect": { "ret": V, "args": { "<index>": V }, "error": "message" }
 * Values V: numbers, strings, booleans, null (undefined / nil), {"u8": "hex"} (a fresh
 * Uint8Array), {"ref": "name"} (a bound variable), arrays, plain objects.
 * A call line is `label <return value> | <each argument after the call>`, so buffers the call
 * writes into are compared too; a throw prints `label ! "message"`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SOURCE_ROOT } from '../../tools/lua/core-program';
import { luaString, runLuaEverywhere, type LuaOutcome } from './harness';

export type VectorValue =
  | number
  | string
  | boolean
  | null
  | { u8: string }
  | { ref: string }
  | VectorValue[]
  | { [key: string]: VectorValue };

export interface VectorStep {
  let?: string;
  value?: VectorValue;
  call?: string;
  new?: string;
  get?: string;
  args?: VectorValue[];
  as?: string;
  expect?: { ret?: VectorValue; args?: { [index: string]: VectorValue }; error?: string };
}

export interface VectorCase {
  name: string;
  steps: VectorStep[];
}

export interface VectorFile {
  title: string;
  source: string;
  cases: VectorCase[];
}

export const VECTOR_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'vectors');
const PRELUDE = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'conformance.lua'), 'utf8');

export function loadVectorFile(file: string): VectorFile {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as VectorFile;
  const names = new Set<string>();
  for (const c of parsed.cases) {
    if (names.has(c.name)) throw new Error(`${file}: case name '${c.name}' is used twice`);
    names.add(c.name);
  }
  return parsed;
}

export function stepLabel(c: VectorCase, stepIndex: number): string {
  return `${c.name} #${stepIndex + 1}`;
}

// ---------------------------------------------------------------------------------------------
// Text encoding shared with conformance.lua.

const HEX = '0123456789abcdef';

function hex(b: Uint8Array): string {
  let s = '';
  for (const v of b) s += HEX[v >> 4] + HEX[v & 15];
  return s;
}

function escape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += b < 32 || b > 126 || b === 34 || b === 92 ? '\\x' + HEX[b >> 4] + HEX[b & 15] : String.fromCharCode(b);
  }
  return out;
}

/** C's printf("%.17g"), which conformance.lua uses for non-integral numbers. */
function formatG17(v: number): string {
  const [mantissa, expText] = v.toExponential(16).split('e');
  const exp = Number(expText);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 17) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(v.toFixed(16 - exp));
}

function encodeNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 53) return v.toFixed(0);
  return formatG17(v);
}

/** The canonical text of a value; Lua tables and JavaScript objects meet in the middle. */
export function encode(v: unknown, depth = 0): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return encodeNumber(v);
  if (typeof v === 'string') return '"' + escape(v) + '"';
  if (typeof v === 'function') return 'function';
  if (v instanceof Uint8Array) return 'u8:' + hex(v);
  if (typeof v !== 'object') return typeof v;
  if (depth > 8) return '...';
  if (Array.isArray(v)) return v.length === 0 ? '{}' : '[' + v.map((x) => encode(x, depth + 1)).join(',') + ']';
  const record = v as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined) // an unset field does not exist in a Lua table
    .sort();
  if (keys.length === 0) return '{}';
  return '{' + keys.map((k) => k + '=' + encode(record[k], depth + 1)).join(',') + '}';
}

function failure(e: unknown): string {
  return '! ' + encode(e instanceof Error ? e.message : String(e));
}

// ---------------------------------------------------------------------------------------------
// Node: run the steps on the TypeScript sources.

type Module = Record<string, unknown>;

async function loadModule(name: string): Promise<Module> {
  return (await import(pathToFileURL(path.join(SOURCE_ROOT, name + '.ts')).href)) as Module;
}

function splitExport(ref: string): [string, string] {
  const at = ref.indexOf('#');
  if (at < 0) throw new Error(`'${ref}' is not module#export`);
  return [ref.slice(0, at), ref.slice(at + 1)];
}

function isBytes(v: object): v is { u8: string } {
  return 'u8' in v && typeof v.u8 === 'string';
}

function isRef(v: object): v is { ref: string } {
  return 'ref' in v && typeof v.ref === 'string';
}

function toValue(v: VectorValue | undefined, vars: Map<string, unknown>): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => toValue(x, vars));
  if (isBytes(v)) {
    if (!/^([0-9a-f]{2})*$/i.test(v.u8)) throw new Error(`bad u8 hex '${v.u8}'`);
    return new Uint8Array(Buffer.from(v.u8, 'hex'));
  }
  if (isRef(v)) {
    if (!vars.has(v.ref)) throw new Error(`ref '${v.ref}' is not bound by an earlier step`);
    return vars.get(v.ref);
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = toValue((v as Record<string, VectorValue>)[k], vars);
  return out;
}

export interface NodeRun {
  /** One line per output step, in order. */
  lines: string[];
  /** Steps whose Node result differs from the published answer in `expect`. */
  mismatches: string[];
}

export async function runOnNode(file: VectorFile): Promise<NodeRun> {
  const lines: string[] = [];
  const mismatches: string[] = [];
  for (const c of file.cases) {
    const vars = new Map<string, unknown>();
    for (let i = 0; i < c.steps.length; i++) {
      const step = c.steps[i];
      const label = stepLabel(c, i);
      if (step.let !== undefined) {
        vars.set(step.let, toValue(step.value, vars));
        continue;
      }
      const args = (step.args ?? []).map((a) => toValue(a, vars)) as unknown[];
      let line: string;
      let result: unknown;
      let thrown: unknown;
      try {
        if (step.new !== undefined) {
          const [mod, name] = splitExport(step.new);
          const ctor = (await loadModule(mod))[name] as new (...a: unknown[]) => unknown;
          result = new ctor(...args);
        } else if (step.get !== undefined) {
          const [mod, name] = splitExport(step.get);
          result = (await loadModule(mod))[name];
        } else if (step.call !== undefined && step.call.includes('#')) {
          const [mod, name] = splitExport(step.call);
          result = ((await loadModule(mod))[name] as (...a: unknown[]) => unknown)(...args);
        } else if (step.call !== undefined) {
          const [variable, method] = step.call.split('.');
          const self = vars.get(variable) as Record<string, (...a: unknown[]) => unknown>;
          result = self[method](...args);
        } else {
          throw new Error(`${label}: a step needs let, call, new or get`);
        }
        line = `${label} ${encode(result)}`;
        if (step.call !== undefined) line += ' | ' + args.map((a) => encode(a)).join(' ');
      } catch (e) {
        thrown = e;
        line = `${label} ${failure(e)}`;
      }
      lines.push(line);
      if (step.as !== undefined) vars.set(step.as, result);
      mismatches.push(...checkExpectation(label, step, thrown, result, args, vars));
    }
  }
  return { lines, mismatches };
}

function checkExpectation(label: string, step: VectorStep, thrown: unknown, result: unknown, args: unknown[], vars: Map<string, unknown>): string[] {
  const expect = step.expect;
  if (expect === undefined) {
    return thrown === undefined ? [] : [`${label}: unexpected throw ${failure(thrown)}`];
  }
  const out: string[] = [];
  if (expect.error !== undefined) {
    if (thrown === undefined) out.push(`${label}: expected a throw '${expect.error}'`);
    else if (failure(thrown) !== failure(new Error(expect.error))) out.push(`${label}: threw ${failure(thrown)}, expected '${expect.error}'`);
    return out;
  }
  if (thrown !== undefined) return [`${label}: unexpected throw ${failure(thrown)}`];
  if (expect.ret !== undefined && encode(result) !== encode(toValue(expect.ret, vars))) {
    out.push(`${label}: returned ${encode(result)}, expected ${encode(toValue(expect.ret, vars))}`);
  }
  for (const [index, want] of Object.entries(expect.args ?? {})) {
    const got = encode(args[Number(index)]);
    if (got !== encode(toValue(want, vars))) out.push(`${label}: argument ${index} is ${got}, expected ${encode(toValue(want, vars))}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lua: the same steps as a script over the bundle.

/** TSTL's module name for a source path: "/" becomes "." and a dot in a file name "_" (x.vectors -> x_vectors). */
function luaModule(mod: string): string {
  return `require(${luaString(mod.split('/').map((part) => part.replace(/\./g, '_')).join('.'))})`;
}

function luaNumber(v: number): string {
  if (Number.isInteger(v)) return v.toFixed(0);
  if (Number.isNaN(v)) return '(0/0)';
  if (!Number.isFinite(v)) return v > 0 ? 'math.huge' : '(-math.huge)';
  return formatG17(v);
}

function luaValue(v: VectorValue | undefined): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'number') return luaNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return luaString(v);
  if (Array.isArray(v)) return '{' + v.map(luaValue).join(', ') + '}';
  if (isBytes(v)) return `C.u8(${luaString(v.u8)})`;
  if (isRef(v)) return `V[${luaString(v.ref)}]`;
  const fields = Object.keys(v).map((k) => `[${luaString(k)}] = ${luaValue((v as Record<string, VectorValue>)[k])}`);
  return '{' + fields.join(', ') + '}';
}

/** The Lua script for a vector file: the conformance.lua prelude, then one block per case. */
export function luaScript(file: VectorFile): string {
  const parts = [`local C = (function()\n${PRELUDE}\nend)()`];
  for (const c of file.cases) {
    parts.push('do', '  local V = {}');
    c.steps.forEach((step, i) => {
      const label = luaString(stepLabel(c, i));
      const args = step.args ?? [];
      const argTable = `{${args.map(luaValue).join(', ')}}, ${args.length}`;
      let expr: string;
      if (step.let !== undefined) {
        parts.push(`  V[${luaString(step.let)}] = ${luaValue(step.value)}`);
        return;
      } else if (step.new !== undefined) {
        const [mod, name] = splitExport(step.new);
        expr = `C.new(${label}, ${luaModule(mod)}[${luaString(name)}], ${argTable})`;
      } else if (step.get !== undefined) {
        const [mod, name] = splitExport(step.get);
        expr = `C.get(${label}, ${luaModule(mod)}[${luaString(name)}])`;
      } else if (step.call !== undefined && step.call.includes('#')) {
        const [mod, name] = splitExport(step.call);
        expr = `C.call(${label}, ${luaModule(mod)}[${luaString(name)}], ${argTable})`;
      } else if (step.call !== undefined) {
        const [variable, method] = step.call.split('.');
        expr = `C.method(${label}, V[${luaString(variable)}], ${luaString(method)}, ${argTable})`;
      } else {
        throw new Error(`${stepLabel(c, i)}: a step needs let, call, new or get`);
      }
      parts.push(step.as !== undefined ? `  V[${luaString(step.as)}] = ${expr}` : `  ${expr}`);
    });
    parts.push('end');
  }
  return parts.join('\n') + '\n';
}

/** The vector file under every available Lua interpreter. */
export function runOnLua(file: VectorFile, bundlePath?: string): LuaOutcome[] {
  return runLuaEverywhere(luaScript(file), bundlePath);
}

/** Lua output split into lines (without the empty string after the final newline). */
export function outputLines(outcome: LuaOutcome): string[] {
  const lines = outcome.output.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
