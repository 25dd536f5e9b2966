/**
 * A reader taps the emulated board through the vpcd protocol (here the reader side is tapcard's
 * VpcdReader in direct mode; pcscd's vpcd speaks the same): every APDU crosses the virtual PN532
 * and the firmware bundle's driver to the SE inside the bundle, and back.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { startEmulator, type RunningEmulator } from '../../host/emulator/emulator';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile, tapcardPackageHeader } from '../../host/gp/load-file';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';
import { CardRemovedError } from '../../host/vpcd/errors';
import { VpcdReader } from '../../host/vpcd/vpcd-reader';
import { buildTestLoadFile, INSTANCE_AID, PACKAGE_AID } from '../gp/se-package';
import { buildTestFirmware, captureConsole, tempDir, TEST_SE_SERIAL, until, writeTestBundle } from './helpers';

const KEYS = sameKeyForAll(fromHex(DEV_ISD_KEY));
/** 3B 8A 80 01 "TAPCARD-SE" TCK: the SE's own ATR (core/se/secure-element.ts), via the PN532's ATS historical bytes. */
const EXPECTED_ATR = '3b8a8001' + Buffer.from('TAPCARD-SE').toString('hex');
const SELECT_ISD = fromHex('00a4040008a000000151000000');

let firmware = '';
beforeAll(async () => {
  firmware = await buildTestFirmware('tap-test');
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function reader(): Promise<VpcdReader> {
  const r = new VpcdReader({ responseTimeoutMs: 10_000 });
  await r.listen(0);
  cleanup.push(() => r.close());
  return r;
}

async function board(r: VpcdReader, stateDir: string, install: boolean): Promise<RunningEmulator> {
  const emu = await startEmulator({
    stateDir,
    firmwareFile: install ? firmware : null,
    provisionFile: install ? writeTestBundle(stateDir) : undefined,
    vpcd: { host: '127.0.0.1', port: r.port },
  });
  cleanup.push(() => emu.stop());
  return emu;
}

describe('tap through vpcd reaches the SE inside the firmware bundle', () => {
  it('answers the ATR, SELECT of the ISD, and GET STATUS inside an SCP03 session', async () => {
    const r = await reader();
    const emu = await board(r, tempDir('tap'), true);
    await r.waitForCard(10_000);
    expect(toHex(await r.powerOn()).startsWith(EXPECTED_ATR)).toBe(true);

    const gp = new GpSession(r.transmit);
    const isd = await gp.selectIsd();
    expect(toHex(isd.aid)).toBe('a000000151000000');
    const info = await gp.openSecureChannel({ keys: KEYS, kvn: 0x30, securityLevel: 0x33 });
    expect(info).toMatchObject({ kvn: 0x30, kdd: TEST_SE_SERIAL.toUpperCase(), securityLevel: 0x33 });
    const registry = await gp.list();
    expect(registry.isd.map((e) => [e.aid, e.lifeCycleName])).toEqual([['A000000151000000', 'SECURED']]);
    expect(registry.apps).toEqual([]);
    gp.close();

    const out = captureConsole(emu.board);
    emu.board.console.input('status()\n');
    await until(() => /memory: /.test(out.text()), 'status()');
    expect(out.text()).toMatch(/rf: 1 activations, \d+ APDUs, 1 chip resets, 0 card errors/);
  });

  it('installs a package over RF into the SE in the bundle (INSTALL, LOAD blocks, INSTALL), kept in Storage', async () => {
    const r = await reader();
    const dir = tempDir('tap-install');
    const emu = await board(r, dir, true);
    await r.waitForCard(10_000);
    await r.powerOn();
    const gp = new GpSession(r.transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: KEYS, kvn: 0x30, securityLevel: 0x03 });
    const result = await gp.install(parseLoadFile(buildTestLoadFile()), { parser: tapcardPackageHeader, instanceAid: fromHex(INSTANCE_AID) });
    expect(result.blocks).toBeGreaterThan(1);
    const after = await gp.list();
    expect(after.apps.map((e) => [e.aid, e.lifeCycleName])).toEqual([[INSTANCE_AID, 'SELECTABLE']]);
    gp.close();
    expect(emu.board.storage.list().filter((n) => n.startsWith('tcf')).length).toBeGreaterThan(0);

    const out = captureConsole(emu.board);
    emu.board.console.input('cards()\n');
    await until(() => /slot 0:/.test(out.text()), 'cards()');
    expect(out.text()).toContain(`slot 0: AID ${INSTANCE_AID.toLowerCase()}`);
  });

  it('allocates no buffers in the firmware per APDU once warmed up', async () => {
    const r = await reader();
    const emu = await board(r, tempDir('tap-alloc'), true);
    await r.waitForCard(10_000);
    await r.powerOn();
    for (let i = 0; i < 3; i++) await r.transmit(SELECT_ISD);
    const before = emu.board.interpreter!.allocations.snapshot();
    for (let i = 0; i < 20; i++) expect(toHex((await r.transmit(SELECT_ISD)).slice(-2))).toBe('9000');
    const after = emu.board.interpreter!.allocations.snapshot();
    expect(after.firmware - before.firmware).toBe(0);
    // Espruino's own readFrom results (runtime allocations) do happen for every I2C read.
    expect(after.runtime).toBeGreaterThan(before.runtime);
  });

  it('a power cut during LOAD leaves the SE consistent: on reboot the partial package is gone and installing again works', async () => {
    const r = await reader();
    const dir = tempDir('tap-cut');
    const emu = await board(r, dir, true);
    await r.waitForCard(10_000);
    await r.powerOn();
    let loads = 0;
    let lastIns = -1;
    const gp = new GpSession(r.transmit, {
      trace: (direction, apdu) => {
        if (direction !== 'command') return;
        lastIns = apdu[1];
        // arm the cut when the second LOAD goes out: its store writes are the ones interrupted
        if (apdu[1] === 0xe8 && ++loads === 2) emu.board.storage.armPowerCut({ afterOperations: 2 });
      },
    });
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: KEYS, kvn: 0x30, securityLevel: 0x01 });
    const file = parseLoadFile(buildTestLoadFile());
    await expect(gp.install(file, { parser: tapcardPackageHeader, instanceAid: fromHex(INSTANCE_AID) })).rejects.toBeInstanceOf(CardRemovedError);
    expect(emu.board.powered).toBe(false);
    expect(lastIns).toBe(0xe8); // the board lost power while processing a LOAD
    await emu.stop();

    // Reboot from what Storage holds, as a real board would.
    const rebooted = await board(r, dir, false);
    await r.waitForCard(10_000);
    await r.powerOn();
    const gp2 = new GpSession(r.transmit);
    await gp2.selectIsd();
    await gp2.openSecureChannel({ keys: KEYS, kvn: 0x30, securityLevel: 0x01 });
    const recovered = await gp2.list();
    expect(recovered.apps).toEqual([]);
    expect(recovered.loadFiles.map((e) => e.aid)).not.toContain(PACKAGE_AID);
    await gp2.install(file, { parser: tapcardPackageHeader, instanceAid: fromHex(INSTANCE_AID) });
    expect((await gp2.list()).apps.map((e) => e.aid)).toEqual([INSTANCE_AID]);
    gp2.close();
    expect(rebooted.board.powered).toBe(true);
  });
});
