/**
 * `tapcard flash` end to end against the emulator's tcp serial console: the official
 * EspruinoTools uploads the bundle, the board stores it in .bootcde, load() boots it, and the
 * flashed firmware answers status(). Failures are judged from what was printed, not the CLI's
 * exit code.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../host/emulator/emulator';
import { REPO_ROOT } from '../../tools/firmware/build-firmware';
import { buildTestFirmware, tempDir, TEST_DEVICE_ID, until, writeTestBundle } from './helpers';

const UPLOAD_TIMEOUT = 180_000;

let firmware = '';
beforeAll(async () => {
  firmware = await buildTestFirmware('flash-test');
});

const running: RunningEmulator[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});

/** A board with an empty flash (no .bootcde), its console on tcp. */
async function blankBoard(): Promise<RunningEmulator> {
  const emu = await startEmulator({ stateDir: tempDir('flash'), firmwareFile: null, serial: 'tcp://127.0.0.1:0' });
  running.push(emu);
  return emu;
}

function tapcard(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/tapcard.mjs'), ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('tapcard flash through the emulator console', () => {
  it(
    'uploads the bundle to .bootcde with the provisioning bundle, the board boots it and answers status()',
    async () => {
      const emu = await blankBoard();
      const bundle = writeTestBundle(tempDir('flash-prov'));
      const r = await tapcard(['flash', '--port', emu.serial!.address, '--bundle', firmware, '--provision', bundle, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout) as { ok: boolean; status: string[]; chunks: number; bundleBytes: number };
      expect(result.ok).toBe(true);
      expect(result.status[0]).toBe('tapcard: flash-test on Espruino 2v29');
      expect(result.status).toContain(`device: ${TEST_DEVICE_ID}`);
      const stored = emu.board.storage.read('.bootcde');
      expect(stored).toBe(fs.readFileSync(firmware, 'latin1'));
      expect(result.chunks).toBe(Math.ceil(result.bundleBytes / 1024));
      // the flashed firmware runs: the SE booted and the PN532 emulates a card
      await until(() => emu.board.pn532.armed, 'the flashed firmware arming the PN532');
    },
    UPLOAD_TIMEOUT,
  );

  it(
    'fails with "Uncaught" when the uploaded code throws on the board, whatever the CLI exit code',
    async () => {
      const emu = await blankBoard();
      const bad = path.join(tempDir('flash-bad'), 'bad.js');
      fs.writeFileSync(bad, '(function(){ throw new Error("boom at boot"); })();\n');
      const r = await tapcard(['flash', '--port', emu.serial!.address, '--bundle', bad, '--json']);
      expect(r.code).toBe(1);
      const result = JSON.parse(r.stdout) as { ok: boolean; failure: string; message: string };
      expect(result).toMatchObject({ ok: false, failure: 'uncaught' });
      expect(result.message).toMatch(/Uncaught Error: boom at boot/);
    },
    UPLOAD_TIMEOUT,
  );

  it(
    'flashes through a pty (socat) with serialport, as a USB serial port would be used',
    async () => {
      const emu = await startEmulator({ stateDir: tempDir('flash-pty'), firmwareFile: null, serial: 'pty' });
      running.push(emu);
      const tiny = path.join(tempDir('flash-tiny'), 'tiny.js');
      fs.writeFileSync(tiny, '(function(){ global.status = function () { print("tapcard: tiny"); print("memory: 1 of 1 vars free"); }; })();\n');
      const r = await tapcard(['flash', '--port', emu.serial!.address, '--baud', '115200', '--bundle', tiny, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, status: ['tapcard: tiny', 'memory: 1 of 1 vars free'] });
      expect(emu.board.storage.read('.bootcde')).toBe(fs.readFileSync(tiny, 'latin1'));
    },
    UPLOAD_TIMEOUT,
  );

  it('fails with "Unable to connect" (exit 7) when nothing listens on the port', async () => {
    const port = await closedPort();
    const r = await tapcard(['flash', '--port', `tcp://127.0.0.1:${port}`, '--bundle', firmware, '--json']);
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, failure: 'unable-to-connect' });
  });

  it('fails with "Unable to connect" for a serial device that does not exist', async () => {
    const r = await tapcard(['flash', '--port', '/dev/ttyNOSUCH9', '--bundle', firmware]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/Unable to connect to \/dev\/ttyNOSUCH9/);
  });
});
