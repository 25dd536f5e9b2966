/**
 * The build's last check (build.ts): the exact bundle, property names renamed, boots in the
 * emulator (host/emulator) and, when TAPCARD_ESPRUINO names it, on the real interpreter
 * (interpreter-boot-check.ts, the judge where the two disagree) with a throwaway provisioning bundle and answers status(), cards() and
 * balance() without an uncaught error. A renamed name that reached an Espruino API, a JSON field
 * or a console function shows up here before any test suite runs. The broker is a closed port:
 * the link only has to start, not connect.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmulatedBoard } from '../../host/emulator/emulated-board';

const KEY = '404142434445464748494a4b4c4d4e4f';

/** A provisioning bundle for boot checks only; its broker is a closed port. */
export function throwawayProvisioning(): string {
  const id = 'boot-check';
  const pem = '-----BEGIN CERTIFICATE-----\nnot used on the board\n-----END CERTIFICATE-----\n';
  return JSON.stringify({
    format: 'tapcard-provisioning/1',
    deviceId: id,
    createdAt: new Date(0).toISOString(),
    broker: { url: 'mqtt://127.0.0.1:1', upTopic: `tapcard/v1/${id}/up`, downTopic: `tapcard/v1/${id}/down`, username: id, password: 'x', frameSize: 140 },
    tls: { caCertPem: pem, certPem: pem, keyPem: pem },
    link: { keyIndex: 1, kic: '11'.repeat(16), kid: '22'.repeat(16) },
    se: { serial: '0102030405060708090a', isdKeyVersion: 0x30, isd: { enc: KEY, mac: KEY, dek: KEY } },
  });
}

/** What the booted bundle must print in answer to BOOT_CHECK_CALLS. */
export const BOOT_CHECK_CALLS = ['status()', 'cards()', 'balance()'];
export const BOOT_CHECK_EXPECTED = ['device: boot-check', 'se: serial 0102030405060708090a', 'link: mqtt://127.0.0.1:1 as boot-check', 'no cards installed'];

/** Problems in a boot check's console output (`label` names where it ran). */
export function bootCheckProblems(label: string, out: string): string[] {
  const problems: string[] = [];
  const uncaught = /Uncaught .*/.exec(out);
  if (uncaught !== null) problems.push(`${label}: ${uncaught[0]}`);
  for (const want of BOOT_CHECK_EXPECTED) {
    if (!out.includes(want)) problems.push(`${label}: the booted bundle did not print "${want}"`);
  }
  return problems;
}

/** Problems found (empty when the bundle booted and answered). */
export function bootCheck(code: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-boot-check-'));
  const board = new EmulatedBoard(dir);
  let out = '';
  board.on('output', (t) => {
    out += t;
  });
  try {
    board.installFirmware(code);
    board.writeProvisioning(throwawayProvisioning());
    board.powerOn();
    for (const call of BOOT_CHECK_CALLS) board.evaluate(call);
  } catch (err) {
    out += `\nUncaught ${(err as Error).message}`;
  } finally {
    board.powerOff('boot check done');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return bootCheckProblems('boot check', out);
}
