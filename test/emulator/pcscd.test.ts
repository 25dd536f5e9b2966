/**
 * The emulated board seen by real PC/SC programs: pcscd with Debian's vsmartcard-vpcd is the
 * reader, pcsc_scan shows the ATR made from the PN532's ATS historical bytes, opensc-tool SELECTs
 * the ISD of the SE inside the firmware bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../host/emulator/emulator';
import { acquirePcscd, type PcscdLease } from '../helpers/pcsc';
import { pcscScanCards, runOpensc, waitForCardInReader, waitForEmptyReader } from '../helpers/pcsc-tools';
import { requireDebian } from '../helpers/skip';
import { buildTestFirmware, tempDir, writeTestBundle } from './helpers';

const SUITE = 'emulated board through pcscd';
const missing = requireDebian(SUITE, ['pcscd', 'vsmartcard-vpcd', 'pcsc-tools', 'opensc'], { root: true });

describe.skipIf(missing)(SUITE, () => {
  let lease: PcscdLease;
  let emu: RunningEmulator;

  beforeAll(async () => {
    const firmware = await buildTestFirmware('pcscd-test');
    lease = await acquirePcscd();
    const dir = tempDir('pcscd-board');
    emu = await startEmulator({
      stateDir: dir,
      firmwareFile: firmware,
      provisionFile: writeTestBundle(dir),
      vpcd: { host: lease.pcscd.cardHost, port: lease.pcscd.cardPort },
    });
    await waitForCardInReader(lease.pcscd.readerName, 20_000);
  }, 90_000);

  afterAll(async () => {
    if (emu) await emu.stop();
    if (lease) {
      await waitForEmptyReader(lease.pcscd.readerName).catch(() => undefined);
      await lease.release();
    }
  });

  it('pcsc_scan shows the board as a card with the SE ATR', async () => {
    const slot = (await pcscScanCards()).find((s) => s.reader === lease.pcscd.readerName);
    expect(slot?.atr).toBe('3b8a8001544150434152442d534561');
  });

  it('opensc-tool SELECTs the ISD through the virtual PN532 and the firmware driver', async () => {
    const [select] = await runOpensc('00A4040008A00000015100000000');
    expect(select.response).toBe('6f108408a000000151000000a5049f6501ff9000');
  });
});
