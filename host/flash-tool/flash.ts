/**
 * `tapcard flash`: build the firmware bundle and save it on a board running Espruino, with the
 * official EspruinoTools (docs/espruino.md "Uploading"; @espruino-tools/core is browser-only and cannot reach
 * an ESP32 from Node):
 *
 *   1. build dist/firmware/espruino.js (tools/firmware/build-firmware.ts), unless a bundle is given;
 *   2. open the board's port behind a local TCP bridge (serial-bridge.ts);
 *   3. `espruino --no-ble -b BAUD --board <ESP32 json> --config SAVE_ON_SEND=1 -p tcp://... bundle`:
 *      reset(), the bundle into .bootcde in 1 KB Storage.write chunks, load() (plugins/saveOnSend.js);
 *      with a provisioning bundle also `--storage tapcard.prov:FILE`;
 *   4. judge the upload from what was sent and printed, not from the exit code (upload-monitor.ts);
 *   5. check the flashed firmware runs: `espruino -e "status()"` must answer "tapcard: ...".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFirmware } from '../../tools/firmware/build-firmware';
import { PROVISIONING_FILE } from '../../firmware/src/board/espruino/board-config';
import { readBundle } from '../../contracts/provisioning-bundle';
import { writeBoardJson } from './board-json';
import { runEspruinoCli } from './espruino-cli';
import { openBridge, parsePortSpec, PortUnavailableError } from './serial-bridge';
import { UploadMonitor, type UploadFailureKind } from './upload-monitor';

export type FlashFailureKind = UploadFailureKind | 'build' | 'bad-input' | 'incomplete' | 'cli-exit' | 'verify';

export class FlashError extends Error {
  readonly kind: FlashFailureKind;
  constructor(kind: FlashFailureKind, message: string) {
    super(message);
    this.name = 'FlashError';
    this.kind = kind;
  }
}

export interface FlashOptions {
  /** /dev/ttyUSB0 (or any serial device, a pty) or tcp://HOST:PORT. */
  port: string;
  baud: number;
  /** Flash this bundle instead of building one. */
  bundleFile?: string;
  /** Provisioning bundle to store as tapcard.prov (platform-server/src/pki/bundle.ts). */
  provisionFile?: string;
  /** Run status() on the board after flashing (default true). */
  verify?: boolean;
  onProgress?: (progress: FlashProgress) => void;
  /** Every line from the board and the CLI, for --verbose. */
  onLine?: (source: 'board' | 'cli', line: string) => void;
}

export interface FlashProgress {
  stage: 'build' | 'upload' | 'verify';
  /** 0..1 within the upload stage. */
  fraction: number;
  chunksSent: number;
  totalChunks: number;
}

export interface FlashResult {
  bundleBytes: number;
  chunks: number;
  /** status() lines the flashed firmware printed (empty when verify is off). */
  status: string[];
}

/** EspruinoTools prefixes the board's lines with "--] " on its stdout; the bridge sees those already. */
const DEVICE_LINE_PREFIX = '--] ';

function splitLines(acc: { rest: string }, text: string, each: (line: string) => void): void {
  const lines = (acc.rest + text).split(/\r?\n/);
  acc.rest = lines.pop() ?? '';
  for (const l of lines) each(l);
}

async function bundleToFlash(options: FlashOptions, tmp: string, onProgress: (p: FlashProgress) => void): Promise<string> {
  if (options.bundleFile !== undefined) {
    if (!fs.existsSync(options.bundleFile)) throw new FlashError('bad-input', `bundle ${options.bundleFile} not found`);
    return options.bundleFile;
  }
  onProgress({ stage: 'build', fraction: 0, chunksSent: 0, totalChunks: 0 });
  const outFile = path.join(tmp, 'espruino.js');
  const built = await buildFirmware({ outFile });
  if (!built.ok) throw new FlashError('build', `firmware build failed:\n${built.problems.join('\n')}`);
  return outFile;
}

export async function flashBoard(options: FlashOptions): Promise<FlashResult> {
  const onProgress = options.onProgress ?? (() => undefined);
  const spec = (() => {
    try {
      return parsePortSpec(options.port, options.baud);
    } catch (err) {
      throw new FlashError('bad-input', (err as Error).message);
    }
  })();
  if (options.provisionFile !== undefined) {
    try {
      readBundle(options.provisionFile);
    } catch (err) {
      throw new FlashError('bad-input', `--provision: ${(err as Error).message}`);
    }
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-flash-'));
  try {
    const bundleFile = await bundleToFlash(options, tmp, onProgress);
    const bundleBytes = fs.statSync(bundleFile).size;
    const boardJson = writeBoardJson(tmp);
    let monitor = new UploadMonitor(bundleBytes);
    let boardErrors: string[] = [];
    const boardLines = { rest: '' };
    let boardLog: string[] = [];
    const bridge = await openBridge(spec, {
      toBoard: (text) => {
        const before = monitor.chunksSent;
        monitor.sent(text);
        if (monitor.chunksSent !== before) {
          onProgress({ stage: 'upload', fraction: monitor.fraction, chunksSent: monitor.chunksSent, totalChunks: monitor.totalChunks });
        }
      },
      fromBoard: (text) => {
        monitor.received('board', text);
        splitLines(boardLines, text, (l) => {
          boardLog.push(l);
          options.onLine?.('board', l);
        });
      },
      boardError: (message) => boardErrors.push(message),
    }).catch((err: unknown) => {
      if (err instanceof PortUnavailableError) throw new FlashError('unable-to-connect', `Unable to connect to ${options.port}: ${err.message}`);
      throw err;
    });
    try {
      const common = ['--no-ble', '-b', String(options.baud), '--board', boardJson, '-p', bridge.address];
      const uploadArgs = [...common, '--config', 'SAVE_ON_SEND=1', '--config', 'RESET_BEFORE_SEND=true'];
      if (options.provisionFile !== undefined) uploadArgs.push('--storage', `${PROVISIONING_FILE}:${path.resolve(options.provisionFile)}`);
      uploadArgs.push(path.resolve(bundleFile));
      onProgress({ stage: 'upload', fraction: 0, chunksSent: 0, totalChunks: monitor.totalChunks });
      const exit = await runEspruinoCli(uploadArgs, tmp, cliOutput(monitor, options));
      monitor.finish();
      judgeUpload(monitor, exit, boardErrors);
      const result: FlashResult = { bundleBytes, chunks: monitor.totalChunks, status: [] };
      if (options.verify === false) return result;

      onProgress({ stage: 'verify', fraction: 1, chunksSent: monitor.chunksSent, totalChunks: monitor.totalChunks });
      monitor = new UploadMonitor(bundleBytes);
      boardErrors = [];
      boardLog = [];
      const verifyExit = await runEspruinoCli([...common, '-e', 'status()'], tmp, cliOutput(monitor, options));
      monitor.finish();
      // the prompt or Espruino's line clearing may come before the first line
      const seen = boardLog.map((l) => l.replace(/^[\s>\x08]+/, ''));
      const failure = monitor.failures[0];
      if (failure !== undefined) throw new FlashError(failure.kind, `after flashing, the board said: ${failure.line}`);
      const first = seen.findIndex((l) => l.startsWith('tapcard: '));
      if (verifyExit !== 0 || first < 0) {
        throw new FlashError('verify', 'the flashed firmware did not answer status() (no "tapcard:" line); is it running? ' + boardErrors.join('; '));
      }
      const last = seen.findIndex((l, i) => i > first && l.startsWith('memory: '));
      result.status = seen.slice(first, last < 0 ? undefined : last + 1);
      return result;
    } finally {
      await bridge.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function cliOutput(monitor: UploadMonitor, options: FlashOptions): { stdout(t: string): void; stderr(t: string): void } {
  const out = { rest: '' };
  const err = { rest: '' };
  const cliLine = (line: string): void => {
    if (line.startsWith(DEVICE_LINE_PREFIX)) return; // the board's own lines come through the bridge
    monitor.received('cli', `${line}\n`);
    options.onLine?.('cli', line);
  };
  return {
    stdout: (t) => splitLines(out, t, cliLine),
    stderr: (t) => splitLines(err, t, cliLine),
  };
}

function judgeUpload(monitor: UploadMonitor, exit: number, boardErrors: string[]): void {
  const failure = monitor.failures[0];
  if (failure !== undefined) {
    const what =
      failure.kind === 'unable-to-connect' ? 'EspruinoTools could not connect'
      : failure.kind === 'module-not-found' ? 'the board is missing a module the bundle requires'
      : failure.kind === 'no-prompt' ? 'no Espruino prompt answered'
      : 'the board reported an error';
    throw new FlashError(failure.kind, `${what}: ${failure.line}`);
  }
  if (boardErrors.length > 0) throw new FlashError('unable-to-connect', `the board's port failed: ${boardErrors.join('; ')}`);
  if (exit !== 0) throw new FlashError('cli-exit', `EspruinoTools exited with code ${exit}`);
  if (monitor.chunksSent < monitor.totalChunks) {
    throw new FlashError('incomplete', `only ${monitor.chunksSent} of ${monitor.totalChunks} chunks of the bundle went to the board`);
  }
}
