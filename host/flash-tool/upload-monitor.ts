/**
 * Reads an EspruinoTools upload as it happens, because the CLI's exit code is 0 even when the
 * upload failed (docs/espruino.md "Uploading"):
 *
 * - progress: the CLI writes the code as `require("Storage").write(".bootcde", <1024 chars>, ...)`
 *   lines (plugins/saveOnSend.js); counting them in the bytes going to the board gives the share
 *   of the bundle sent;
 * - failures: "Unable to connect" (CLI), "Uncaught ..." (the board's console), "Module X not found"
 *   (the board could not resolve a require), "Prompt not detected" (no REPL answering).
 */

/** saveOnSend.js CHUNKSIZE. */
export const UPLOAD_CHUNK_CHARS = 1024;
const CHUNK_MARKER = 'require("Storage").write(".bootcde"';

export type UploadFailureKind = 'unable-to-connect' | 'uncaught' | 'module-not-found' | 'no-prompt';

export interface UploadFailure {
  kind: UploadFailureKind;
  /** The line that said so. */
  line: string;
}

const FAILURE_PATTERNS: { kind: UploadFailureKind; pattern: RegExp }[] = [
  { kind: 'unable-to-connect', pattern: /Unable to connect/ },
  { kind: 'module-not-found', pattern: /Module (\S+) not found/ },
  { kind: 'uncaught', pattern: /Uncaught/ },
  { kind: 'no-prompt', pattern: /Prompt not detected/ },
];

export function classifyLine(line: string): UploadFailure | null {
  for (const f of FAILURE_PATTERNS) if (f.pattern.test(line)) return { kind: f.kind, line: line.trim() };
  return null;
}

export class UploadMonitor {
  readonly totalChunks: number;
  chunksSent = 0;
  readonly failures: UploadFailure[] = [];
  private tail = '';
  private readonly lineBuffers = new Map<string, string>();

  constructor(bundleChars: number) {
    this.totalChunks = Math.max(1, Math.ceil(bundleChars / UPLOAD_CHUNK_CHARS));
  }

  /** Share of the bundle sent, 0..1. */
  get fraction(): number {
    return Math.min(1, this.chunksSent / this.totalChunks);
  }

  /** Bytes the CLI sends to the board. */
  sent(text: string): void {
    const window = this.tail + text;
    let at = window.indexOf(CHUNK_MARKER);
    while (at >= 0) {
      this.chunksSent++;
      at = window.indexOf(CHUNK_MARKER, at + CHUNK_MARKER.length);
    }
    // keep a tail shorter than the marker so a marker split across writes is counted once
    this.tail = window.slice(-(CHUNK_MARKER.length - 1));
  }

  /** Text from a source ("board", "cli"), split into lines and checked for failures. */
  received(source: string, text: string): void {
    const buf = (this.lineBuffers.get(source) ?? '') + text;
    const lines = buf.split(/\r?\n/);
    this.lineBuffers.set(source, lines.pop() ?? '');
    for (const line of lines) this.noteLine(line);
  }

  /** Checks what is left in the line buffers (output without a final newline). */
  finish(): void {
    for (const rest of this.lineBuffers.values()) if (rest !== '') this.noteLine(rest);
    this.lineBuffers.clear();
  }

  private noteLine(line: string): void {
    const failure = classifyLine(line);
    if (failure !== null) this.failures.push(failure);
  }
}
