/**
 * The board's link on the real Espruino interpreter: EspruinoDocs' MQTT.js (the vendored file,
 * stored as the Storage module `MQTT` as on a board) over the interpreter's real `net` to the
 * platform's embedded broker, then a full `tapcard platform download` (the CLI, in its own
 * process) of the transit application into the exact bundle running there: the platform's job
 * drives the install through the MCU relay in the bundle, cards() lists the card and the platform
 * records it as installed. Prints the peak JsVars sampled during the download.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { attachFlows } from '../../platform-server/src/flows/flows';
import { createLog } from '../../platform-server/src/log';
import { provisionDevice } from '../../platform-server/src/provision';
import { startPlatform } from '../../platform-server/src/server';
import { tempPlatform } from '../platform/_fixtures';
import { buildTestFirmware } from '../emulator/helpers';
import { requireEspruino } from '../helpers/skip';
import { INTERPRETER_TEST_TIMEOUT_MS, startBoard, statusMatching, stopBoards } from './helpers';
import { TransitIssuer } from '../../parties/transit-issuer';

const skip = requireEspruino('real-interpreter link suite');
const ROOT = path.resolve(__dirname, '../..');
const run = Math.random().toString(36).slice(2, 8);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await stopBoards();
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe.skipIf(skip)('the link on the real Espruino interpreter', { timeout: INTERPRETER_TEST_TIMEOUT_MS }, () => {
  it('MQTT.js from Storage reaches the platform broker over net; tapcard platform download installs transit into the bundle', async () => {
    const firmware = await buildTestFirmware('interpreter-link');
    const tp = await tempPlatform();
    cleanup.push(() => tp.cleanup());
    const lines: string[] = [];
    const log = createLog((l) => lines.push(l), 'json');
    const running = await startPlatform(tp.platform, { mqttPort: 0, httpPort: 0, workerId: run, log });
    const dpu = attachFlows(tp.platform, running.link, log, { issuers: [new TransitIssuer()], porTimeoutMs: 10_000, sendLimit: 50 });
    cleanup.push(async () => {
      dpu.close();
      await running.close();
    });

    const deviceId = `board-${run}`;
    const { bundle } = await provisionDevice(tp.platform, { deviceId });
    bundle.broker.url = running.mqtt.url;
    const board = await startBoard({ firmwareFile: firmware, provisioning: JSON.stringify(bundle) });
    await statusMatching(board, new RegExp(`link: mqtt://\\S+ as ${deviceId}, online`), 120_000);

    board.meter.resetPeak();
    const cli = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, 'bin/tapcard.mjs'), 'platform', 'download', '--data', tp.dir, '--device', deviceId, '--app', 'transit', '--wait', '--timeout', '240'],
      { cwd: ROOT, env: { ...process.env, TAPCARD_STORAGE_KEY: '' }, timeout: 280_000 },
    );
    expect(cli.stdout).toMatch(/done (\d+)\/\1\ninstalled: card \S+/);
    const peak = board.meter.peakVars;

    const cards = await board.evaluate('cards()');
    const slot = /slot (\d): AID [0-9A-Fa-f]+, class \d+, issuer \d+, card 31041000/.exec(cards.output);
    expect(slot).not.toBeNull();
    const row = tp.platform.db.prepare('SELECT state, slot FROM cards WHERE se_serial = ?').get(bundle.se.serial) as { state: string; slot: number };
    expect(row).toEqual({ state: 'installed', slot: Number(slot![1]) });
    const status = await board.evaluate('status()');
    expect(status.output).toMatch(/relay \d+ commands, job \d+ at (\d+)\/\1/);
    expect(board.uncaught()).toEqual([]);
    console.log(`real interpreter: peak ${peak} JsVars at stand-in calls during the download (${board.meter.totals.calls} stand-in calls so far)`);
  });
});
