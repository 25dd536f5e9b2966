/**
 * How the emulated console shows values: print()'s arguments and the REPL's "=result" line, in
 * the style of Espruino's console (strings bare in print, quoted after "="; objects as JSON-like
 * text; typed arrays as `new Uint8Array([...])`).
 */
import { isDataView } from './espruino-hardware';
import { EmulatedPin } from './espruino-pins';

function isTypedArray(v: unknown): v is ArrayLike<number> & { constructor: { name: string } } {
  return ArrayBuffer.isView(v) && !isDataView(v);
}

export function formatValue(v: unknown, depth = 0): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return espruinoNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof EmulatedPin) return v.name;
  if (typeof v === 'function') return `function ${v.name || ''}() { ... }`;
  if (isTypedArray(v)) return `new ${v.constructor.name}([${Array.from(v).join(', ')}])`;
  if (depth > 4) return '{ ... }';
  if (Array.isArray(v)) return v.length === 0 ? '[ ]' : `[ ${v.map((x) => formatValue(x, depth + 1)).join(', ')} ]`;
  if (v instanceof Error || Object.prototype.toString.call(v) === '[object Error]') return String(v);
  const keys = Object.keys(v as object);
  if (keys.length === 0) return '{ }';
  const parts = keys.map((k) => `${JSON.stringify(k)}: ${formatValue((v as { [k: string]: unknown })[k], depth + 1)}`);
  return `{ ${parts.join(', ')} }`;
}

/** print("a", 1, {x:1}) -> `a 1 { "x": 1 }` */
export function formatPrintArgs(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : formatValue(a))).join(' ');
}

/** jsvAsString: numbers as Espruino writes them, arrays joined with "," (undefined and null empty). */
export function espruinoString(v: unknown): string {
  if (typeof v === 'number') return espruinoNumber(v);
  if (Array.isArray(v)) return v.map((e) => (e === undefined || e === null ? '' : espruinoString(e))).join(',');
  return String(v);
}

/** Espruino's report of an exception nobody caught: "Uncaught Error: message". */
export function formatUncaught(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err) {
    const e = err as { name?: string; message: string };
    return `Uncaught ${e.name ?? 'Error'}: ${e.message}`;
  }
  return `Uncaught ${formatValue(err)}`;
}

const ESCAPES: { [ch: number]: string } = { 10: '\\n', 9: '\\t', 8: '\\b', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\', 34: '\\"' };

/** %q: escapeCharacter in src/jsutils.c (non-JSON style). */
export function espruinoQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    if (ESCAPES[ch] !== undefined) out += ESCAPES[ch];
    else if (ch < 8 && (next < 0x30 || next > 0x37)) out += `\\${ch}`;
    else if (ch < 32 || ch >= 127) out += ch > 255 ? `\\u${hex(ch, 4)}` : `\\x${hex(ch, 2)}`;
    else out += s[i];
  }
  return `${out}"`;
}

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

/** How Espruino writes a number: integers as such, other values through ftoa_bounded (src/jsutils.c). */
export function espruinoNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n < 0 ? '-Infinity' : 'Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 31) return String(n === 0 ? 0 : n);
  const stopAtError = 0.0000001;
  let out = n < 0 ? '-' : '';
  let val = Math.abs(n);
  let exponent = 0;
  if (val >= 1e21) {
    while (val > 100000) {
      val /= 100000;
      exponent += 5;
    }
    while (val > 10) {
      val /= 10;
      exponent++;
    }
  } else if (val < 1e-6) {
    while (val < 1e-5) {
      val *= 100000;
      exponent -= 5;
    }
    while (val < 1) {
      val *= 10;
      exponent--;
    }
  }
  if (Math.trunc(val + stopAtError) === 1 + Math.trunc(val)) val = 1 + Math.trunc(val);
  let d = 1;
  while (d * 10 <= val) d *= 10;
  while (d >= 1) {
    const digit = Math.trunc(val / d);
    val -= digit * d;
    out += String(digit);
    d /= 10;
  }
  if (val > 0) {
    out += '.';
    val *= 10;
    for (let fractionalDigits = -1; fractionalDigits > -12 && val > stopAtError; fractionalDigits--) {
      let digit = Math.trunc(val + 0.00000001);
      val = (val - digit) * 10;
      if (digit === 10) digit = 9;
      out += String(digit);
    }
  }
  return exponent !== 0 ? `${out}e${exponent > 0 ? '+' : ''}${exponent}` : out;
}
