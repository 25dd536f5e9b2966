/**
 * One run of the real interpreter: `espruino` without arguments, in a state directory, boots like a
 * board after power-on (Storage is the file espruino.flash there: .boot0, then .bootcde), then
 * serves its console on stdin/stdout until it is killed (targets/linux/main.c interactive mode;
 * `espruino -e CODE` also boots, but exits as soon as no timer is left, which a board never does).
 * This drives that console: raw input, expressions evaluated with their output, and every
 * `Uncaught ...` the interpreter prints (an exception nothing caught, at boot or later in a timer).
 * The end of boot is a marker printed by the first console line, which runs once boot code is done.
 *
 * Console lines go with DLE (0x10) first, which turns echo and the `=result` line off for that
 * line (src/jsinteractive.c), as EspruinoTools sends code. The interpreter runs with
 * console-guard.c preloaded: the Linux build's input thread and main loop share the event queue
 * without a lock, and console input typed while the board works otherwise corrupts that queue
 * (lines replayed or garbled, then "Execution Interrupted" without end).
 */
import { EventEmitter } from 'node:events';
import { type ChildProcess, spawn } from 'node:child_process';
import { preloadLibrary, withPreload } from './preload-library';

const BOOTED = '<tapcard-harness:booted>';
const DLE = '\x10';
const DEFAULT_BOOT_TIMEOUT_MS = 60_000;
const DEFAULT_EVAL_TIMEOUT_MS = 60_000;

export class InterpreterError extends Error {}

/** An expression threw inside the interpreter; `message` is its String(e). */
export class EvaluationError extends InterpreterError {}

export interface Evaluation {
  /** The expression's value, through JSON.stringify on the interpreter. */
  value: unknown;
  /** What the interpreter printed while evaluating it (e.g. status() lines). */
  output: string;
}

export type InterpreterProcessEvents = {
  output: [text: string];
  exit: [code: number | null, signal: NodeJS.Signals | null];
};

interface PendingEvaluation {
  id: number;
  from: number;
  resolve: (e: Evaluation) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class InterpreterProcess extends EventEmitter<InterpreterProcessEvents> {
  private readonly child: ChildProcess;
  private text = '';
  private exited = false;
  private nextId = 1;
  private pending: PendingEvaluation | null = null;
  private readonly queue: (() => void)[] = [];

  private constructor(binary: string, cwd: string, env: NodeJS.ProcessEnv) {
    super();
    this.child = spawn(binary, [], { cwd, env: withPreload(env, preloadLibrary('console-guard.c')), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('latin1');
    this.child.stderr!.setEncoding('latin1');
    this.child.stdout!.on('data', (t: string) => this.onOutput(t));
    // stderr carries only the Linux build's start-up notes ("Interactive mode.", JsVar size)
    this.child.stderr!.resume();
    this.child.stdin!.on('error', () => {
      // the interpreter went away; the exit handler reports it
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.pending?.reject(new InterpreterError(`interpreter exited (${signal ?? code}) during an evaluation`));
      this.emit('exit', code, signal);
    });
  }

  /** Spawns the interpreter in `cwd` (with `env`) and waits until its boot code has run. */
  static async boot(binary: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = DEFAULT_BOOT_TIMEOUT_MS): Promise<InterpreterProcess> {
    const p = new InterpreterProcess(binary, cwd, env);
    p.input(`${DLE}print(${JSON.stringify(BOOTED)})\n`);
    try {
      await p.waitFor((t) => t.includes(BOOTED), 'the end of boot', timeoutMs);
    } catch (err) {
      await p.kill();
      throw err;
    }
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Everything the interpreter printed so far. */
  output(): string {
    return this.text;
  }

  /** Every `Uncaught ...` line printed so far. */
  uncaught(): string[] {
    return this.text.match(/Uncaught .*/g) ?? [];
  }

  /** Raw console input, as typed on a serial terminal. */
  input(text: string): void {
    this.child.stdin!.write(text, 'latin1');
  }

  /** Resolves once the console output satisfies `cond` (checked on each new output). */
  waitFor(cond: (output: string) => boolean, what: string, timeoutMs = DEFAULT_EVAL_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (!cond(this.text)) return false;
        cleanup();
        resolve();
        return true;
      };
      const onExit = (): void => {
        cleanup();
        reject(new InterpreterError(`interpreter exited while waiting for ${what}:\n${this.tail()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new InterpreterError(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.tail()}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('output', check);
        this.off('exit', onExit);
      };
      if (check()) return;
      if (this.exited) return onExit();
      this.on('output', check);
      this.on('exit', onExit);
    });
  }

  /**
   * Evaluates a JavaScript expression on the console; resolves with its value (JSON round trip)
   * and what it printed, rejects with EvaluationError when it throws. One at a time, in order.
   */
  evaluate(expression: string, timeoutMs = DEFAULT_EVAL_TIMEOUT_MS): Promise<Evaluation> {
    return new Promise((resolve, reject) => {
      const send = (): void => {
        if (this.exited) {
          reject(new InterpreterError('the interpreter is not running'));
          this.sendNext();
          return;
        }
        const id = this.nextId++;
        // one console line: a multi-line expression goes through eval of its JSON string
        const code = expression.includes('\n') ? `eval(${JSON.stringify(expression)})` : expression;
        const timer = setTimeout(() => {
          this.settle(id);
          reject(new InterpreterError(`timed out after ${timeoutMs} ms evaluating ${expression}:\n${this.tail()}`));
        }, timeoutMs);
        this.pending = {
          id,
          from: this.text.length,
          resolve: (e) => {
            this.settle(id);
            resolve(e);
          },
          reject: (err) => {
            this.settle(id);
            reject(err);
          },
          timer,
        };
        this.input(`${DLE}try{print("<@${id}="+JSON.stringify([${code}])+"@>")}catch(e){print("<@${id}!"+e+"@>")}\n`);
      };
      if (this.pending === null) send();
      else this.queue.push(send);
    });
  }

  /** Ends the process (SIGKILL: the board loses power; Storage keeps what was written). */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  private settle(id: number): void {
    if (this.pending?.id !== id) return;
    clearTimeout(this.pending.timer);
    this.pending = null;
    this.sendNext();
  }

  private sendNext(): void {
    const next = this.queue.shift();
    if (next !== undefined) next();
  }

  private onOutput(t: string): void {
    this.text += t;
    const p = this.pending;
    if (p !== null) {
      const re = new RegExp(`<@${p.id}([=!])([^]*?)@>`);
      const m = re.exec(this.text.slice(p.from));
      if (m !== null) {
        const output = this.text.slice(p.from, p.from + m.index);
        if (m[1] === '!') p.reject(new EvaluationError(m[2]));
        else p.resolve({ value: (JSON.parse(m[2]) as unknown[])[0], output });
      }
    }
    this.emit('output', t);
  }

  private tail(): string {
    return this.text.slice(-2000);
  }
}
