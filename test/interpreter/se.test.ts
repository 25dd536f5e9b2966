/**
 * The SE inside the exact bundle on the real Espruino interpreter, through the firmware's own
 * PN532 driver: a vpcd reader taps the board, each APDU crosses the stand-in PN532 on I2C1
 * (host/interpreter) into the bundle and back. SELECT and SCP03 at SL 01, 03 and 33 (GpSession),
 * GP install of the transit package block by block at SL 33, a PBOC load and purchase by pos-sim
 * whose MAC2 and TACs the host checks, and a restart on the same flash file that keeps the card.
 * Prints the firmware time of a few APDUs in loop units (figures, not assertions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';
import type { InterpreterBoard } from '../../host/interpreter/interpreter-board';
import type { ApduTiming } from '../../host/interpreter/firmware-meter';
import { DirectReader } from '../../pos-sim/src/reader/direct-reader';
import { DevKeysSecurityModule } from '../../parties/purse-security-module';
import { MemoryJournal } from '../../pos-sim/src/purse/journal';
import { TransitPos } from '../../pos-sim/src/purse/transit-pos';
import { cardPackage, installPackage } from '../applets/_harness';
import { PurseTerminal } from '../applets/_terminal';
import { CARD_NUMBER, ISSUER_ID, TRANSIT_APP_AID } from '../pos/_transit-se';
import { buildTestFirmware, TEST_SE_SERIAL } from '../emulator/helpers';
import { requireEspruino } from '../helpers/skip';
import { INTERPRETER_TEST_TIMEOUT_MS, startBoard, stopBoards, testProvisioning } from './helpers';

const skip = requireEspruino('real-interpreter SE suite');

const KEYS = sameKeyForAll(fromHex(DEV_ISD_KEY));
const TERMINAL_ID = '504F53000001';
const WHEN = new Date(2024, 2, 15, 12, 30, 0);
const WHEN_BCD = '20240315123000';
/** The card's issuer side, checking the TACs apart from the POS's security module. */
const issuer = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER)));
/** The SE's ATR through the PN532's ATS historical bytes (core/se/secure-element.ts). */
const EXPECTED_ATR = '3b8a8001' + Buffer.from('TAPCARD-SE').toString('hex');
const CARD_WAIT_MS = 60_000;

describe.skipIf(skip)('the SE in the bundle on the real Espruino interpreter, through its PN532 driver', { timeout: INTERPRETER_TEST_TIMEOUT_MS }, () => {
  let board: InterpreterBoard;
  let reader: DirectReader;
  let loopUs = 0;

  /** Firmware figures of the APDUs `run` sends whose INS is `ins`. */
  async function timed(ins: number, run: () => Promise<unknown>): Promise<ApduTiming[]> {
    const from = board.meter.apdus.length;
    await run();
    return board.meter.apdus.slice(from).filter((a) => a.command[1] === ins);
  }

  function units(a: ApduTiming[]): string {
    return a.map((x) => `${Math.round(x.firmwareUs / loopUs)} units (${(x.firmwareUs / 1000).toFixed(1)} ms, stand-in ${(x.standInUs / 1000).toFixed(1)} ms, ${x.peakVars} vars)`).join('; ');
  }

  beforeAll(async () => {
    const firmware = await buildTestFirmware('interpreter-se');
    reader = await DirectReader.listen(0);
    board = await startBoard({ firmwareFile: firmware, provisioning: testProvisioning(), vpcd: { host: '127.0.0.1', port: reader.boundPort } });
    loopUs = await board.loopUnitUs({ from: 'flash' });
  });

  afterAll(async () => {
    await stopBoards();
    await reader?.close();
  });

  it('answers the ATR, SELECT of the ISD, and SCP03 at SL 01, 03 and 33 with GET STATUS inside', async () => {
    expect(toHex(await reader.waitForCard(CARD_WAIT_MS)).startsWith(EXPECTED_ATR)).toBe(true);
    const figures: string[] = [];
    for (const securityLevel of [0x01, 0x03, 0x33]) {
      const gp = new GpSession(reader.transmit);
      const select = await timed(0xa4, () => gp.selectIsd());
      let info: unknown;
      const init = await timed(0x50, async () => {
        info = await gp.openSecureChannel({ keys: KEYS, kvn: 0x30, securityLevel });
      });
      expect(info).toMatchObject({ kvn: 0x30, kdd: TEST_SE_SERIAL.toUpperCase(), securityLevel });
      const registry = await gp.list();
      expect(registry.isd.map((e) => [e.aid, e.lifeCycleName])).toEqual([['A000000151000000', 'SECURED']]);
      gp.close();
      figures.push(`SL ${securityLevel.toString(16).padStart(2, '0')}: SELECT ${units(select)}, INITIALIZE UPDATE ${units(init)}`);
    }
    console.log(`real interpreter, loop unit ${loopUs.toFixed(2)} µs (from Storage):\n  ${figures.join('\n  ')}`);
    expect(board.uncaught()).toEqual([]);
  });

  it('installs the transit package block by block at SCP03 SL 33; cards() lists it', async () => {
    const { spec, file } = cardPackage({ app: 'transit', issuerId: ISSUER_ID, cardNumber: CARD_NUMBER });
    const loads = await timed(0xe8, async () => {
      const result = await installPackage(reader.transmit, file, spec, 0x33);
      expect(result.blocks).toBeGreaterThan(1);
    });
    console.log(`real interpreter: LOAD blocks at SL 33: ${units(loads.slice(0, 3))} ...`);
    const cards = await board.evaluate('cards()');
    expect(cards.output).toContain(`slot 0: AID ${TRANSIT_APP_AID.toLowerCase()}`);
    expect(board.uncaught()).toEqual([]);
  });

  it('pos-sim loads 50.00 and debits 2.00: MAC2 and TACs check on the host, balance 48.00', async () => {
    const pos = new TransitPos({ reader, securityModule: new DevKeysSecurityModule(), journal: new MemoryJournal(), clock: () => WHEN });
    const before = await pos.read();
    expect(before).toMatchObject({ cardNumber: CARD_NUMBER, aid: TRANSIT_APP_AID, balance: 0 });
    // the POS checks MAC2 (the card's load proof) with its security module before it reports a load
    const load = await pos.recharge(5000);
    expect(load).toMatchObject({ kind: 'load', balanceBefore: 0, balanceAfter: 5000, counter: 0, terminalId: TERMINAL_ID });
    expect(load.tac).toBe(issuer.loadTac(5000, 0, 5000, 0x02, WHEN_BCD, TERMINAL_ID).toUpperCase());
    const debits = await timed(0x54, async () => {
      const debit = await pos.debit(200);
      expect(debit).toMatchObject({ kind: 'purchase', balanceBefore: 5000, balanceAfter: 4800, counter: 0, terminalSerial: '00000001' });
      expect(debit.tac).toBe(issuer.purchaseProof('00000001', 200, 0x06, WHEN_BCD, TERMINAL_ID).slice(0, 8).toUpperCase());
    });
    console.log(`real interpreter: DEBIT FOR PURCHASE ${units(debits)}`);
    expect((await pos.read()).balance).toBe(4800);
    expect(board.uncaught()).toEqual([]);
  });

  it('a restart on the same flash file keeps the card and its balance', async () => {
    await reader.powerOff();
    await board.restart();
    const pos = new TransitPos({ reader, securityModule: new DevKeysSecurityModule(), journal: new MemoryJournal(), clock: () => WHEN });
    const after = await pos.read();
    expect(after).toMatchObject({ cardNumber: CARD_NUMBER, balance: 4800 });
    expect(after.log.map((l) => [l.kind, l.amount])).toEqual([['purchase', 200], ['load', 5000]]);
    expect((await board.evaluate('cards()')).output).toContain(`slot 0: AID ${TRANSIT_APP_AID.toLowerCase()}`);
    expect(board.uncaught()).toEqual([]);
  });
});
