/**
 * The emulated board seen by real PC/SC programs: pcscd with Debian's vsmartcard-vpcd is the
 * reader, pcsc_scan shows the ATR made from the PN532's ATS historical bytes, opensc-tool SELECTs
 * the ISD of the SE inside the firmware bundle; a GP host installs a transit card through PC/SC,
 * pos-sim in PC/SC mode recharges it, and pcsc-tools' scriptor reads its balance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../host/emulator/emulator';
import { acquirePcscd, type PcscdLease } from '../helpers/pcsc';
import { pcscScanCards, runOpensc, waitForCardInReader, waitForEmptyReader } from '../helpers/pcsc-tools';
import { requireDebian } from '../helpers/skip';
import { connectPcsc } from '../../host/gp/pcsc-transport';
import { DevKeysSecurityModule } from '../../parties/purse-security-module';
import { MemoryJournal } from '../../pos-sim/src/purse/journal';
import { TransitPos } from '../../pos-sim/src/purse/transit-pos';
import { PcscReader } from '../../pos-sim/src/reader/pcsc-reader';
import { cardPackage, installPackage } from '../applets/_harness';
import { runScriptor } from '../helpers/pcsc-tools';
import { buildTestFirmware, tempDir, writeTestBundle } from './helpers';

const SUITE = 'emulated board through pcscd';
const missing = requireDebian(SUITE, ['pcscd', 'vsmartcard-vpcd', 'pcsc-tools', 'opensc', 'libpcsclite-dev'], { root: true });

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

  it('installs a transit card through PC/SC, recharges it with pos-sim in PC/SC mode, and scriptor reads the balance', async () => {
    const { spec, file } = cardPackage({ app: 'transit', issuerId: 1000, cardNumber: '31041000000000067890', termsLength: 0 });
    const pcsc = await connectPcsc({ reader: lease.pcscd.readerName, timeoutMs: 10_000 });
    try {
      await installPackage(pcsc.transmit, file, spec);
    } finally {
      await pcsc.close();
    }
    const reader = new PcscReader(lease.pcscd.readerName);
    try {
      const load = await new TransitPos({ reader, securityModule: new DevKeysSecurityModule(), journal: new MemoryJournal() }).recharge(12_34);
      expect(load).toMatchObject({ cardNumber: '31041000000000067890', balanceBefore: 0, balanceAfter: 12_34 });
    } finally {
      await reader.close();
    }
    const ex = await runScriptor(['00 A4 04 00 08 A0 00 00 06 32 01 01 05 00', '80 5C 00 02 04']);
    expect(ex[0].sw).toBe('9000');
    expect(ex[1].response).toBe('000004d29000');
  });
});
