/**
 * Shared setup for the emulator suites: one firmware build per test file, a provisioning bundle
 * in the platform's format, state directories, and waiting for console text.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFirmware } from '../../tools/firmware/build-firmware';
import { BUNDLE_FORMAT, type ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';
import type { EmulatedBoard } from '../../host/emulator/emulated-board';

export const TEST_SE_SERIAL = '0102030405060708090a';
export const TEST_DEVICE_ID = 'dev-emu-1';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tapcard-${prefix}-`));
}

/** Builds the firmware bundle into a temporary file (the exact bytes the board runs). */
export async function buildTestFirmware(label = 'emulator-test'): Promise<string> {
  const outFile = path.join(tempDir('fw'), 'espruino.js');
  const result = await buildFirmware({ outFile, buildLabel: label });
  if (!result.ok) throw new Error(`firmware build failed:\n${result.problems.join('\n')}`);
  return outFile;
}

/**
 * A bundle in the platform's format (platform-server/src/pki/bundle.ts). The TLS PEMs are
 * placeholders: the board does not use them (docs/board.md). ISD keys: the development key.
 */
export function writeTestBundle(dir: string, overrides: Partial<ProvisioningBundle> = {}): string {
  const pem = (kind: string) => `-----BEGIN ${kind}-----\nplaceholder for tests\n-----END ${kind}-----\n`;
  const bundle: ProvisioningBundle = {
    format: BUNDLE_FORMAT,
    deviceId: TEST_DEVICE_ID,
    createdAt: new Date(0).toISOString(),
    broker: {
      url: 'mqtt://127.0.0.1:1883',
      upTopic: `tapcard/v1/${TEST_DEVICE_ID}/up`,
      downTopic: `tapcard/v1/${TEST_DEVICE_ID}/down`,
      username: TEST_DEVICE_ID,
      password: 'test-password',
      frameSize: 140,
    },
    tls: { caCertPem: pem('CERTIFICATE'), certPem: pem('CERTIFICATE'), keyPem: pem('PRIVATE KEY') },
    link: { keyIndex: 1, kic: '11'.repeat(16), kid: '22'.repeat(16) },
    se: { serial: TEST_SE_SERIAL, isdKeyVersion: 0x30, isd: { enc: DEV_ISD_KEY, mac: DEV_ISD_KEY, dek: DEV_ISD_KEY } },
    ...overrides,
  };
  const file = path.join(dir, 'bundle.json');
  fs.writeFileSync(file, JSON.stringify(bundle));
  return file;
}

/** Collects a board's console output. */
export function captureConsole(board: EmulatedBoard): { text: () => string; clear: () => void } {
  let buf = '';
  board.on('output', (t) => {
    buf += t;
  });
  return { text: () => buf, clear: () => (buf = '') };
}

/** Waits (no duration asserted) until cond() holds. */
export async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
