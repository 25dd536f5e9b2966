/**
 * The Espruino console protocol on the emulated serial port, the subset EspruinoTools relies on
 * (docs/espruino.md "Uploading"; Espruino src/jsinteractive.c):
 *
 * - characters are echoed while echo is on; a line that starts with DLE (0x10) is not echoed and
 *   its "=result" is not printed;
 * - Enter runs the line once its brackets balance (otherwise the line continues); ESC LF is a
 *   newline that never runs the line; other ESC [ ... sequences are skipped;
 * - Ctrl-C (0x03) drops the line being typed and shows the prompt;
 * - after a line runs: "=<value>" (unless DLE), exceptions as "Uncaught ...", then the ">" prompt.
 */
import { formatUncaught, formatValue } from './espruino-values';

const CTRL_C = 0x03;
const BACKSPACE = 0x08;
const DELETE = 0x7f;
const DLE = 0x10;
const ESC = 0x1b;
const LF = 0x0a;
const CR = 0x0d;

export interface ConsoleTarget {
  /** Runs one complete input line in the interpreter; throws what the code throws. */
  evaluate(code: string): unknown;
  /** False while the board is off or restarting: input is dropped. */
  readonly accepting: boolean;
}

/** Depth of (), [], {} outside strings and comments: 0 means the input can run. */
export function bracketDepth(code: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote !== '') {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '/' && code[i + 1] === '/') {
      const end = code.indexOf('\n', i);
      if (end < 0) break;
      i = end;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return depth + 1; // an open comment keeps the line going
      i = end + 1;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return quote !== '' ? depth + 1 : depth;
}

export class EspruinoConsole {
  echo = true;
  private line = '';
  private lineHidden = false;
  private escape: 'none' | 'start' | 'csi' = 'none';
  private lastWasCr = false;
  private readonly target: ConsoleTarget;
  private readonly write: (text: string) => void;

  constructor(target: ConsoleTarget, write: (text: string) => void) {
    this.target = target;
    this.write = write;
  }

  prompt(): void {
    this.write('>');
  }

  /** Bytes typed on the serial port. */
  input(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (const b of bytes) this.inputByte(b);
  }

  private inputByte(b: number): void {
    if (this.escape === 'start') {
      this.escape = b === 0x5b ? 'csi' : 'none';
      if (b === LF) this.line += '\n'; // ESC LF: newline without running the line
      return;
    }
    if (this.escape === 'csi') {
      if (b >= 0x40 && b <= 0x7e) this.escape = 'none';
      return;
    }
    const wasCr = this.lastWasCr;
    this.lastWasCr = b === CR;
    switch (b) {
      case ESC:
        this.escape = 'start';
        return;
      case CTRL_C:
        this.line = '';
        this.lineHidden = false;
        this.write('\r\n>');
        return;
      case DLE:
        if (this.line === '') this.lineHidden = true;
        return;
      case BACKSPACE:
      case DELETE:
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          if (this.shouldEcho()) this.write('\b \b');
        }
        return;
      case LF:
        if (wasCr) return; // CR LF counts once
        this.enter();
        return;
      case CR:
        this.enter();
        return;
      default:
        this.line += String.fromCharCode(b);
        if (this.shouldEcho()) this.write(String.fromCharCode(b));
    }
  }

  private shouldEcho(): boolean {
    return this.echo && !this.lineHidden;
  }

  private enter(): void {
    if (bracketDepth(this.line) > 0) {
      this.line += '\n';
      if (this.shouldEcho()) this.write('\r\n:');
      return;
    }
    const code = this.line;
    const hidden = this.lineHidden || !this.echo;
    this.line = '';
    this.lineHidden = false;
    if (!this.target.accepting) return;
    if (!hidden) this.write('\r\n');
    if (code.trim() === '') {
      if (!hidden) this.prompt();
      return;
    }
    try {
      const value = this.target.evaluate(code);
      if (!hidden) this.write(`=${formatValue(value)}\r\n`);
    } catch (err) {
      this.write(`${formatUncaught(err)}\r\n`);
    }
    if (!hidden) this.prompt();
  }
}
