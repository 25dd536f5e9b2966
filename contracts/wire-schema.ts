/**
 * The building blocks of the JSON bodies two parties exchange over HTTP, as zod schemas: bytes
 * travel as hex and decode to Uint8Array (and encode back, lower-case) through one codec,
 * `hexBytes`; every rule carries the words its refusal uses ("expected 4 bytes as hex"). A body
 * is a `wireBody`: a strict object, so an unknown field is refused, and `parseWire` checks a
 * value against one and names the first bad field.
 */
import { z } from 'zod';
import { fromHex, toHex } from '../firmware/src/core/hex';

/** A body did not fit its schema; the message names the field and what was expected. */
export class ValidationError extends Error {
  readonly code = 'INVALID';
}

const bytesValue = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes');

/** `min` to `max` bytes as hex digits (either case) on the wire, a Uint8Array in the program. */
export function hexBytesBetween(min: number, max: number) {
  const expected = min === max ? `${min} bytes as hex` : `${min}..${max} bytes as hex`;
  const text = z.string({ error: expected }).regex(new RegExp(`^(?:[0-9a-fA-F]{2}){${min},${max}}$`), expected);
  return z.codec(text, bytesValue, { decode: (hex) => fromHex(hex), encode: (b) => toHex(b) });
}

/** Exactly `bytes` bytes as hex digits (either case) on the wire, a Uint8Array in the program. */
export function hexBytes(bytes: number) {
  return hexBytesBetween(bytes, bytes);
}

/** A string of exactly `length` decimal digits. */
export function digits(length: number) {
  const expected = `${length} digits`;
  return z.string({ error: expected }).regex(new RegExp(`^[0-9]{${length}}$`), expected);
}

/** A card number's 20 digits on the wire, its 10 BCD bytes in the program. */
export function bcdDigits(length: number) {
  return z.codec(digits(length), bytesValue, { decode: (d) => fromHex(d), encode: (b) => toHex(b) });
}

export function int(min: number, max: number) {
  const expected = `an integer ${min}..${max}`;
  return z.number({ error: expected }).int(expected).min(min, expected).max(max, expected);
}

/** 1..max characters, optionally matching `pattern`. */
export function text(max: number, pattern?: RegExp) {
  const expected = `text of 1..${max} characters${pattern === undefined ? '' : ` matching ${pattern}`}`;
  const s = z.string({ error: expected }).min(1, expected).max(max, expected);
  return pattern === undefined ? s : s.regex(pattern, expected);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.join(', ')}` });
}

export const byte = int(0, 0xff);
/** Amounts and balances are 31-bit fen (docs/portable-core.md). */
export const fen = int(0, 0x7fffffff);
/** An amount that moves money: at least one fen. */
export const amount = int(1, 0x7fffffff);
/** Idempotency keys, order ids and account ids. */
export const keyText = text(100, /^[A-Za-z0-9._:-]+$/);

/** A JSON object body: the named fields, nothing else. */
export function wireBody<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, { error: 'a JSON object' });
}

/**
 * Checks `value` against `schema` and decodes it (hex to bytes). A null field counts as absent
 * unless its schema takes null. The first problem becomes a ValidationError: an unknown field before anything else,
 * then the fields in the schema's order.
 */
export function parseWire<T extends z.ZodObject>(schema: T, value: unknown): z.output<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('body: expected a JSON object');
  // fromEntries makes own properties, so a `__proto__` field stays a field (an unknown one)
  const absent = (key: string, v: unknown) => v === null && Object.hasOwn(schema.shape, key) && !schema.shape[key].safeParse(null).success;
  const fields = Object.fromEntries(Object.entries(value).filter(([key, v]) => !absent(key, v)));
  const result = schema.safeParse(fields, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues;
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown !== undefined) throw new ValidationError(`${unknown.keys[0]}: unknown field`);
  const first = issues[0];
  const field = first.path.join('.');
  if (first.input === undefined) throw new ValidationError(`${field}: missing`);
  throw new ValidationError(`${field}: expected ${first.message}, got ${JSON.stringify(first.input)}`);
}

/** The JSON form of a decoded body (bytes back to lower-case hex), for the party that sends it. */
export function encodeWire<T extends z.ZodObject>(schema: T, value: z.output<T>): z.input<T> {
  return z.encode(schema, value);
}
