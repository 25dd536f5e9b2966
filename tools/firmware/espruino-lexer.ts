/**
 * What Espruino's lexer and parser treat differently from V8, as data for the syntax gate and the
 * build's compat pass (Espruino 2v29 src/jslex.c, src/jsparse.c, src/jswrap_regexp.c).
 */

/**
 * Espruino's reserved words (jslReservedWordAsString in src/jslex.c: LEX_R_IF .. LEX_R_OF). Its lexer
 * turns each into a token, so none can name a variable; `of`, `static` and `undefined` are
 * identifiers to V8, and a minifier may pick them.
 */
export const ESPRUINO_RESERVED_WORDS: ReadonlySet<string> = new Set([
  'if', 'else', 'do', 'while', 'for', 'break', 'continue', 'function', 'return', 'var', 'let', 'const',
  'this', 'throw', 'try', 'catch', 'finally', 'true', 'false', 'null', 'undefined', 'new', 'in',
  'instanceof', 'switch', 'case', 'default', 'delete', 'typeof', 'void', 'debugger', 'class', 'extends',
  'super', 'static', 'of',
]);
