/**
 * The real interpreter's console (host/interpreter/interpreter-process.ts) while timers keep its
 * main loop busy: every line typed runs once, whole and in order. The Linux build queues console
 * input on a thread of its own, racing the main loop for the event queue; without the
 * console guard the driver preloads, lines come back garbled or replayed within a few hundred.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireEspruinoBinary } from '../../host/interpreter/espruino-binary';
import { InterpreterProcess } from '../../host/interpreter/interpreter-process';
import { tempDir } from '../emulator/helpers';
import { requireEspruino } from '../helpers/skip';
import { INTERPRETER_TEST_TIMEOUT_MS } from './helpers';

const BURSTS = 100;
const LINES_PER_BURST = 10;
const DLE = '\x10';
/** Lines as long as the harness's evaluations: a burst fills more than half the input queue. */
const PADDING = JSON.stringify('.'.repeat(80));

describe.skipIf(requireEspruino('real-interpreter console suite'))('the console of the real Espruino interpreter', { timeout: INTERPRETER_TEST_TIMEOUT_MS }, () => {
  let dir = '';
  let espruino: InterpreterProcess;
  beforeAll(async () => {
    dir = tempDir('interpreter-console');
    espruino = await InterpreterProcess.boot(requireEspruinoBinary(), dir, process.env);
  });
  afterAll(async () => {
    await espruino?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs every line typed while a 1 ms timer keeps the main loop busy, once and in order', async () => {
    await espruino.evaluate('setInterval(function(){}, 1) && 0');
    const from = espruino.output().length;
    let n = 0;
    for (let burst = 0; burst < BURSTS; burst++) {
      let text = '';
      for (let i = 0; i < LINES_PER_BURST; i++) text += `${DLE}print("<"+${++n}*1+">"+${PADDING}.length)\n`;
      espruino.input(text);
      await espruino.waitFor((o) => o.includes(`<${n}>`) || /Uncaught|Interrupted/.test(o.slice(from)), `line ${n}`, 10_000);
    }
    const printed = [...espruino.output().slice(from).matchAll(/<(\d+)>/g)].map((m) => Number(m[1]));
    expect(espruino.output().slice(from)).not.toMatch(/Uncaught|Interrupted/);
    expect(printed).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });
});
