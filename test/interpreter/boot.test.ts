/**
 * The exact firmware bundle on the real Espruino interpreter (2v29, Linux build with ESP32
 * settings): it boots from Storage (.bootcde and tapcard.prov) with no Uncaught, brings the PN532
 * up through the stand-in on I2C1, and status() answers on the console. Also the build's boot
 * check on the interpreter, which catches what the emulator cannot.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireEspruino } from '../helpers/skip';
import { buildTestFirmware, TEST_DEVICE_ID, TEST_SE_SERIAL } from '../emulator/helpers';
import { interpreterBootCheck } from '../../tools/firmware/interpreter-boot-check';
import { requireEspruinoBinary } from '../../host/interpreter/espruino-binary';
import fs from 'node:fs';
import { CLOSED_BROKER, INTERPRETER_TEST_TIMEOUT_MS, startBoard, statusMatching, stopBoards, testProvisioning } from './helpers';

const skip = requireEspruino('real-interpreter boot suite');

describe.skipIf(skip)('the firmware bundle boots on the real Espruino interpreter', { timeout: INTERPRETER_TEST_TIMEOUT_MS }, () => {
  let firmware = '';
  beforeAll(async () => {
    firmware = await buildTestFirmware('interpreter-boot');
  });
  afterEach(stopBoards);

  it('provisioned: boots from Storage with no Uncaught; status() reports the SE, the PN532 through the stand-in, the link', async () => {
    const board = await startBoard({ firmwareFile: firmware, provisioning: testProvisioning() });
    const status = await statusMatching(board, /pn532: IC 32 v1\.6 \(14443A,14443B,18092\), state listening/);
    expect(status).toContain('tapcard: interpreter-boot on Espruino 2v29');
    expect(status).toContain(`device: ${TEST_DEVICE_ID}`);
    expect(status).toContain(`se: serial ${TEST_SE_SERIAL}, 0 of 4 card slots used`);
    expect(status).toMatch(/rf: 0 activations, 0 APDUs, 1 chip resets/);
    // the broker refuses the connection: the link says so and the board stays up
    expect(status).toContain(`link: ${CLOSED_BROKER} as ${TEST_DEVICE_ID}`);
    expect(status).toMatch(/memory: \d+ of 16383 vars free/);
    expect(board.pn532.resets).toBe(1);
    expect(board.pn532.armed).toBe(true);
    expect(board.uncaught()).toEqual([]);
    const vars = await board.sampleVars();
    console.log(`real interpreter: ${vars} of 16383 JsVars in use after boot (stand-in PN532: ${await board.standInVars()}), peak at stand-in calls ${board.meter.peakVars}`);
  });

  it('not provisioned: says why, checks the chip only, no Uncaught', async () => {
    const board = await startBoard({ firmwareFile: firmware });
    const status = await statusMatching(board, /pn532: IC 32/);
    expect(status).toContain('device: not provisioned (no tapcard.prov in Storage)');
    expect(status).toContain('se: not started: no tapcard.prov in Storage');
    expect(board.pn532.armed).toBe(false);
    expect(board.uncaught()).toEqual([]);
  });

  it('a restart boots again from the same flash file', async () => {
    const board = await startBoard({ firmwareFile: firmware, provisioning: testProvisioning() });
    await statusMatching(board, /state listening/);
    await board.restart();
    const status = await statusMatching(board, /state listening/);
    expect(status).toContain(`se: serial ${TEST_SE_SERIAL}`);
    expect(board.pn532.resets).toBe(2); // one reset pulse per boot
    expect(board.uncaught()).toEqual([]);
  });

  it("the build's boot check on the interpreter passes the bundle", async () => {
    const check = await interpreterBootCheck(fs.readFileSync(firmware, 'latin1'), requireEspruinoBinary());
    expect(check.problems).toEqual([]);
    expect(check.varsAfterBoot).toBeGreaterThan(0);
  });

  it('a provisioning file with a wrong field: says which, runs the chip check, no Uncaught', async () => {
    // On Espruino an exception from a property of an object literal followed by more properties
    // escapes the try around it (tools/firmware/try-object-literal.ts): this boot ended in
    // "Uncaught Error: broker.password: expected a string" and no console commands.
    const bundle = JSON.parse(testProvisioning()) as { broker: { password: unknown } };
    bundle.broker.password = 42;
    const board = await startBoard({ firmwareFile: firmware, provisioning: JSON.stringify(bundle) });
    const status = await statusMatching(board, /pn532: IC 32/);
    expect(status).toContain('device: not provisioned (tapcard.prov: broker.password: expected a string)');
    expect(board.uncaught()).toEqual([]);
  });
});
