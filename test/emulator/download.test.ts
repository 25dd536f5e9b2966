/**
 * A download from the platform into the emulated board: the platform with its
 * embedded broker in-process, a provisioned device, the emulator booting the firmware bundle with
 * that provisioning file and the platform's broker; download("transit") on the board's console
 * asks the platform for the application, the platform's job drives the install through the MCU
 * relay in the bundle, and cards() on the console then shows the transit card, which the
 * platform records as installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { attachFlows } from '../../platform-server/src/flows/flows';
import { createLog } from '../../platform-server/src/log';
import { provisionDevice } from '../../platform-server/src/provision';
import { startPlatform } from '../../platform-server/src/server';
import { type RunningEmulator, startEmulator } from '../../host/emulator/emulator';
import { tempPlatform, type TempPlatform } from '../platform/_fixtures';
import { buildTestFirmware, captureConsole, tempDir, until } from './helpers';
import { TransitIssuer } from '../../parties/transit-issuer';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';

const run = Math.random().toString(36).slice(2, 8);
let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/**
 * A platform with its embedded broker and the transit issuer in process, and the emulated board
 * provisioned for it (the bundle as `link` makes it) and online; stop() stops the platform.
 */
async function platformAndBoard(name: string, lines: string[], link: (l: ProvisioningBundle['link']) => object) {
  const firmware = await buildTestFirmware();
  const tp: TempPlatform = await tempPlatform();
  cleanup.push(async () => tp.cleanup());
  const log = createLog((l) => lines.push(l), 'json');
  const running = await startPlatform(tp.platform, { mqttPort: 0, httpPort: 0, workerId: run, log });
  const dpu = attachFlows(tp.platform, running.link, log, { issuers: [new TransitIssuer()], porTimeoutMs: 3000, sendLimit: 50 });
  let up = true;
  const stop = async (): Promise<void> => {
    if (!up) return;
    up = false;
    dpu.close();
    await running.close();
  };
  cleanup.push(stop);

  const { bundle } = await provisionDevice(tp.platform, { deviceId: `${name}-${run}` });
  const dir = tempDir(`board-${name}`);
  const provisionFile = path.join(dir, 'provision.json');
  fs.writeFileSync(provisionFile, JSON.stringify({ ...bundle, link: link(bundle.link) }), { mode: 0o600 });
  const emulator: RunningEmulator = await startEmulator({ stateDir: path.join(dir, 'state'), provisionFile, firmwareFile: firmware, broker: running.mqtt.url });
  cleanup.push(async () => emulator.stop());
  const board = emulator.board;
  const out = captureConsole(board);
  const status = (): string => {
    out.clear();
    board.evaluate('status()');
    return out.text();
  };
  await until(() => new RegExp(`link: mqtt://\\S+ as ${name}-\\w+, online`).test(status()), 'the board online on the platform broker');
  return { tp, dpu, bundle, board, out, status, stop };
}

describe('download from the platform into the emulated board', () => {
  it('download("transit") on the console installs a transit card through the MCU relay in the bundle', async () => {
    const lines: string[] = [];
    const { tp, dpu, bundle, board, out, status } = await platformAndBoard('board', lines, (l) => l);

    out.clear();
    board.evaluate('download("transit")');
    await until(() => /download: transit job (\S+) queued/.test(out.text()), 'the platform to answer with a job');
    const jobId = /download: transit job (\S+) queued/.exec(out.text())![1];
    const job = await dpu.waitFor(jobId);
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    await until(() => /download: job \d+ installed in slot (\d)/.test(out.text()), 'the board to report the install');
    const slot = Number(/installed in slot (\d)/.exec(out.text())![1]);

    out.clear();
    board.evaluate('cards()');
    const cards = out.text();
    expect(cards).toMatch(new RegExp(`slot ${slot}: AID [0-9A-Fa-f]+, class \\d+, issuer \\d+, card 31041000`));

    const row = tp.platform.db.prepare('SELECT state, slot FROM cards WHERE se_serial = ?').get(bundle.se.serial) as { state: string; slot: number };
    expect(row).toEqual({ state: 'installed', slot });
    expect(status()).toMatch(/relay \d+ commands, job \d+ at (\d+)\/\1; download job \d+ installed in slot/);
    for (const secret of [bundle.link.kic, bundle.link.kid, bundle.se.isd.enc, bundle.broker.password]) {
      expect(lines.join('\n')).not.toContain(secret);
    }
  }, 90_000);

  it('a platform that falls silent during a job: after link.quietSeconds the board gives the job up and is a card again', async () => {
    const { board, out, status, stop } = await platformAndBoard('quiet', [], (l) => ({ ...l, quietSeconds: 2 }));
    await until(() => /pn532: .*, state (?!stopped)/.test(status()), 'the card side up');

    out.clear();
    board.evaluate('download("transit")');
    await until(() => /download: transit job (\S+) queued/.test(out.text()), 'the platform to answer with a job');
    // The platform dies with the job announced: nothing more comes, the board is not a card meanwhile.
    await stop();
    expect(status()).toMatch(/state stopped while the link works/);

    await until(() => /given up, no word from the platform for 2 s/.test(status()), 'the board to give the job up', 15_000);
    await until(() => /pn532: .*, state (?!stopped)/.test(status()), 'the card side back');
    out.clear();
    board.evaluate('cards()');
    expect(out.text()).not.toMatch(/card 31041000/);
  }, 90_000);
});
