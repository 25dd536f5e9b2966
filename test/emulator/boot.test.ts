/**
 * The emulator runs the exact firmware bundle: it boots from .bootcde, brings the PN532 up over
 * the emulated I2C bus, and status() answers on the serial console.
 */
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../host/emulator/emulator';
import { EspruinoStorage } from '../../host/emulator/espruino-storage';
import { FLASH_FILE_PREFIX } from '../../firmware/src/board/espruino/board-config';
import { buildTestFirmware, captureConsole, tempDir, TEST_DEVICE_ID, TEST_SE_SERIAL, until, writeTestBundle } from './helpers';

let firmware = '';
beforeAll(async () => {
  firmware = await buildTestFirmware('boot-test');
});

const running: RunningEmulator[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});

async function start(provisioned: boolean, serial?: string, dir = tempDir('boot')): Promise<RunningEmulator> {
  const emu = await startEmulator({
    stateDir: dir,
    firmwareFile: firmware,
    provisionFile: provisioned ? writeTestBundle(dir) : undefined,
    serial,
  });
  running.push(emu);
  return emu;
}

/** Connects to the tcp console, sends text, returns what arrives until `until` matches. */
async function talk(address: string, input: string, done: RegExp): Promise<string> {
  const [host, port] = address.replace('tcp://', '').split(':');
  const socket = net.connect(Number(port), host);
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  await new Promise((r) => socket.once('connect', r));
  socket.write(input);
  await until(() => done.test(got), `console output matching ${done}`);
  socket.destroy();
  return got;
}

describe('emulator boots the firmware bundle', () => {
  it('provisioned: the SE boots, the PN532 is armed as a card, status() reports both', async () => {
    const emu = await start(true);
    const out = captureConsole(emu.board);
    await until(() => emu.board.pn532.armed, 'TgInitAsTarget from the firmware');
    emu.board.console.input('status()\n');
    await until(() => /memory: /.test(out.text()), 'status() output');
    const text = out.text();
    expect(text).toContain('tapcard: boot-test on Espruino 2v29');
    expect(text).toContain(`device: ${TEST_DEVICE_ID}`);
    expect(text).toMatch(/pn532: IC 32 v1\.6 \(14443A,14443B,18092\), state listening/);
    expect(text).toContain(`se: serial ${TEST_SE_SERIAL}, 0 of 4 card slots used`);
    expect(text).toMatch(/rf: 0 activations, 0 APDUs, 1 chip resets/);
    expect(emu.board.pn532.resets).toBe(1);
  });

  it('not provisioned: no SE, the chip is only checked, status() says why', async () => {
    const emu = await start(false);
    const out = captureConsole(emu.board);
    emu.board.console.input('status()\n');
    await until(() => /memory: /.test(out.text()), 'status() output');
    expect(out.text()).toContain('device: not provisioned (no tapcard.prov in Storage)');
    expect(out.text()).toContain('se: not started: no tapcard.prov in Storage');
    expect(emu.board.pn532.armed).toBe(false);
  });

  it('a store damaged on flash is refused unchanged: status() says where, the SE stays off', async () => {
    const dir = tempDir('boot');
    const first = await start(true, undefined, dir);
    await until(() => first.board.pn532.armed, 'first boot (personalises the SE)');
    await first.stop();
    running.splice(running.indexOf(first), 1);
    // One bit of the first record on page 0 (page header 16 bytes, record header 12).
    const storage = new EspruinoStorage(path.join(dir, 'storage.json'));
    const page = new Uint8Array(storage.readArrayBuffer(FLASH_FILE_PREFIX + '0')!).slice();
    page[16 + 12 + 1] ^= 0x10;
    storage.write(FLASH_FILE_PREFIX + '0', page, 0, page.length);

    const emu = await start(true, undefined, dir);
    const out = captureConsole(emu.board);
    emu.board.console.input('status()\n');
    await until(() => /memory: /.test(out.text()), 'status() output');
    const problem = 'se: boot failed: Error: store: flash image corrupt: page 0 offset 16: a damaged record with data after it (not a torn write)';
    expect(out.text()).toContain(problem);
    expect(emu.board.pn532.armed).toBe(false);
    const after = new EspruinoStorage(path.join(dir, 'storage.json'));
    expect(new Uint8Array(after.readArrayBuffer(FLASH_FILE_PREFIX + '0')!)).toEqual(page);
  });

  it('answers status() on the tcp serial console (echo, =result, prompt)', async () => {
    const emu = await start(true, 'tcp://127.0.0.1:0');
    const got = await talk(emu.serial!.address, 'status()\r', /=undefined\r\n>$/);
    expect(got).toContain('status()\r\n');
    expect(got).toMatch(/se: serial 0102030405060708090a/);
  });

  it('reports an exception nobody catches as Espruino does, and keeps running', async () => {
    const emu = await start(true, 'tcp://127.0.0.1:0');
    const got = await talk(emu.serial!.address, 'nosuchthing()\n', /\r\n>$/);
    expect(got).toMatch(/Uncaught ReferenceError: nosuchthing is not defined/);
    const again = await talk(emu.serial!.address, '1+1\n', /=2\r\n>$/);
    expect(again).toContain('=2');
  });
});
