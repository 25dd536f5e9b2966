/**
 * Shared setup for the suites on the real Espruino interpreter (host/interpreter): boards on the
 * exact firmware bundle, stopped after each test, and a provisioning bundle whose broker is a
 * closed port unless a test gives one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InterpreterBoard, type InterpreterBoardOptions } from '../../host/interpreter/interpreter-board';
import { tempDir, writeTestBundle } from '../emulator/helpers';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';

/** A port nothing listens on: the link starts, its connection is refused. */
export const CLOSED_BROKER = 'mqtt://127.0.0.1:1';
/** The real interpreter is slower than the emulator, and shares the machine: generous limits. */
export const INTERPRETER_TEST_TIMEOUT_MS = 300_000;

const boards: InterpreterBoard[] = [];

/** Stops every board the test started (call from afterEach). */
export async function stopBoards(): Promise<void> {
  for (const b of boards.splice(0)) await b.stop();
}

/** The test provisioning bundle (test/emulator/helpers.ts) as JSON text, broker overridable. */
export function testProvisioning(overrides: Partial<ProvisioningBundle['broker']> = {}): string {
  const dir = tempDir('interpreter-prov');
  const bundle = JSON.parse(fs.readFileSync(writeTestBundle(dir), 'utf8')) as ProvisioningBundle;
  bundle.broker = { ...bundle.broker, url: CLOSED_BROKER, ...overrides };
  fs.rmSync(dir, { recursive: true, force: true });
  return JSON.stringify(bundle);
}

/** Starts a board in a fresh state directory (or `stateDir`), stopped by stopBoards(). */
export async function startBoard(options: Partial<InterpreterBoardOptions> & { firmwareFile?: string }): Promise<InterpreterBoard> {
  const board = await InterpreterBoard.start({ stateDir: path.join(tempDir('interpreter'), 'state'), bootTimeoutMs: 120_000, ...options });
  boards.push(board);
  return board;
}

/** Evaluates status() until `pattern` shows in its output (the PN532 comes up after boot, on timers). */
export async function statusMatching(board: InterpreterBoard, pattern: RegExp, limitMs = 60_000): Promise<string> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const { output } = await board.evaluate('status()');
    if (pattern.test(output)) return output;
    if (Date.now() > deadline) throw new Error(`status() never matched ${pattern}; last:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
