/**
 * How the emulated console shows values: print()'s arguments and the REPL's "=result" line, in
 * the style of Espruino's console (strings bare in print, quoted after "="; objects as JSON-like
 * text; typed arrays as `new Uint8Array([...])`).
 */

function isTypedArray(v: unknown): v is ArrayLike<number> & { constructor: { name: string } } {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

export function formatValue(v: unknown, depth = 0): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
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

/** Espruino's report of an exception nobody caught: "Uncaught Error: message". */
export function formatUncaught(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err) {
    const e = err as { name?: string; message: string };
    return `Uncaught ${e.name ?? 'Error'}: ${e.message}`;
  }
  return `Uncaught ${formatValue(err)}`;
}
