/**
 * Code Espruino 2v29 would reject does not boot in the emulator either. V8 runs what Espruino's
 * lexer, parser and regex engine refuse (reserved names such as `of`, `for..of`, `(...)?`...), so
 * a boot file from Storage first passes the firmware build's own gate (tools/firmware/
 * syntax-gate.ts); a file that fails it is not run and the console says why, as Espruino reports
 * an "Uncaught SyntaxError" at load.
 */
import crypto from 'node:crypto';
import { checkEspruinoSyntax, formatViolations } from '../../tools/firmware/syntax-gate';

/** Verdicts by code hash: the same bundle boots many times in a test run. */
const verdicts = new Map<string, string | null>();
const REMEMBERED = 16;

/** Why Espruino would not run `code` (one console line), or null when it would. */
export function espruinoLoadError(code: string, file: string): string | null {
  const key = `${file}\0${crypto.createHash('sha256').update(code).digest('hex')}`;
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const violations = checkEspruinoSyntax(code);
  const verdict =
    violations.length === 0
      ? null
      : `Uncaught SyntaxError: ${formatViolations(file, violations.slice(0, 1))}${violations.length > 1 ? ` (and ${violations.length - 1} more)` : ''}`;
  if (verdicts.size >= REMEMBERED) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key, verdict);
  return verdict;
}
