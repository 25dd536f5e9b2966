/**
 * A small schema check for the terminal API's JSON bodies: every field named with its rule, no
 * field left over, and a message that names the field and says what was expected.
 */
export type Rule =
  | { kind: 'hex'; bytes: number }
  | { kind: 'digits'; length: number }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'text'; max: number; pattern?: RegExp }
  | { kind: 'enum'; values: readonly string[] };

export type Schema = Record<string, Rule & { optional?: boolean }>;

export class ValidationError extends Error {
  readonly code = 'INVALID';
}

function check(field: string, rule: Rule, v: unknown): void {
  const fail = (what: string): never => {
    throw new ValidationError(`${field}: expected ${what}, got ${JSON.stringify(v)}`);
  };
  switch (rule.kind) {
    case 'hex':
      if (typeof v !== 'string' || v.length !== rule.bytes * 2 || !/^[0-9a-fA-F]*$/.test(v)) fail(`${rule.bytes} bytes as hex`);
      return;
    case 'digits':
      if (typeof v !== 'string' || v.length !== rule.length || !/^[0-9]*$/.test(v)) fail(`${rule.length} digits`);
      return;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < rule.min || v > rule.max) fail(`an integer ${rule.min}..${rule.max}`);
      return;
    case 'text':
      if (typeof v !== 'string' || v.length === 0 || v.length > rule.max || (rule.pattern !== undefined && !rule.pattern.test(v))) {
        fail(`text of 1..${rule.max} characters${rule.pattern === undefined ? '' : ` matching ${rule.pattern}`}`);
      }
      return;
    case 'enum':
      if (typeof v !== 'string' || !rule.values.includes(v)) fail(`one of ${rule.values.join(', ')}`);
      return;
  }
}

/** Checks body against schema; returns it typed as T (the caller's schema and T must agree). */
export function validate<T>(schema: Schema, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('body: expected a JSON object');
  const o = body as Record<string, unknown>;
  // own properties only: `__proto__`, `constructor` and other inherited names are unknown fields
  for (const key of Object.keys(o)) if (!Object.prototype.hasOwnProperty.call(schema, key)) throw new ValidationError(`${key}: unknown field`);
  for (const [field, rule] of Object.entries(schema)) {
    if (o[field] === undefined || o[field] === null) {
      if (rule.optional === true) continue;
      throw new ValidationError(`${field}: missing`);
    }
    check(field, rule, o[field]);
  }
  return o as T;
}
