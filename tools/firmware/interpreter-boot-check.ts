/**
 * The boot check on the real Espruino interpreter (host/interpreter): the exact bundle stored as
 * .bootcde with the throwaway provisioning bundle, booted from Storage with the stand-in PN532 on
 * I2C1, then status(), cards() and balance() on its console. Where the emulator and the
 * interpreter disagree, this one is right. Also reports the JsVars in use after boot.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InterpreterBoard } from '../../host/interpreter/interpreter-board';
import { BOOT_CHECK_CALLS, bootCheckProblems, throwawayProvisioning } from './boot-check';

const LABEL = 'boot check on Espruino';
const BOOT_TIMEOUT_MS = 120_000;

export interface InterpreterBootCheck {
  problems: string[];
  /** process.memory(false).usage once status(), cards() and balance() have answered; null if it did not boot. */
  varsAfterBoot: number | null;
  totalVars: number | null;
}

export async function interpreterBootCheck(code: string, binary: string): Promise<InterpreterBootCheck> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-interpreter-boot-check-'));
  const bundle = path.join(dir, 'espruino.js');
  fs.writeFileSync(bundle, code, 'latin1');
  let board: InterpreterBoard | null = null;
  let out = '';
  let varsAfterBoot: number | null = null;
  let totalVars: number | null = null;
  try {
    board = await InterpreterBoard.start({
      stateDir: path.join(dir, 'state'),
      binary,
      firmwareFile: bundle,
      provisioning: throwawayProvisioning(),
      bootTimeoutMs: BOOT_TIMEOUT_MS,
    });
    for (const call of BOOT_CHECK_CALLS) await board.evaluate(call);
    const memory = (await board.evaluate('process.memory(false)')).value as { usage: number; total: number };
    varsAfterBoot = memory.usage;
    totalVars = memory.total;
    out = board.output();
  } catch (err) {
    out = (board?.output() ?? '') + `\nUncaught ${(err as Error).message}`;
  } finally {
    await board?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { problems: bootCheckProblems(LABEL, out), varsAfterBoot, totalVars };
}
