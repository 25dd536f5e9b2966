/**
 * The emulated board for the benchmarks: the firmware bundle built from the current sources, a
 * provisioning bundle with the development ISD keys, the emulator started the way
 * `tapcard emulate` does, and a vpcd reader in direct mode that taps it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFirmware, DEFAULT_BUNDLE } from '../tools/firmware/build-firmware';
import { BUNDLE_FORMAT, type ProvisioningBundle } from '../contracts/provisioning-bundle';
import { startEmulator, type RunningEmulator } from '../host/emulator/emulator';
import { DEV_ISD_KEY } from '../host/se/virtual-se';
import { VpcdReader } from '../host/vpcd/vpcd-reader';

export const BOARD_SE_SERIAL = '0102030405060708090a';
const DEVICE_ID = 'bench-board';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tapcard-bench-${prefix}-`));
}

export interface BuiltFirmware {
  file: string;
  bytes: number;
  /** true: built now from the sources; false: the existing dist bundle (smoke runs). */
  fresh: boolean;
}

/** Builds the bundle into a temporary file; a smoke run reuses dist/firmware/espruino.js when present. */
export async function firmwareBundle(smoke: boolean): Promise<BuiltFirmware> {
  if (smoke && fs.existsSync(DEFAULT_BUNDLE)) return { file: DEFAULT_BUNDLE, bytes: fs.statSync(DEFAULT_BUNDLE).size, fresh: false };
  const outFile = path.join(tempDir('fw'), 'espruino.js');
  const result = await buildFirmware({ outFile, buildLabel: 'bench' });
  if (!result.ok) throw new Error(`firmware build failed:\n${result.problems.join('\n')}`);
  return { file: outFile, bytes: result.bytes, fresh: true };
}

/** Provisioning bundle in the platform's format; the board does not use the TLS PEMs in the emulator. */
function writeBundle(dir: string): string {
  const pem = (kind: string) => `-----BEGIN ${kind}-----\nbenchmark placeholder\n-----END ${kind}-----\n`;
  const bundle: ProvisioningBundle = {
    format: BUNDLE_FORMAT,
    deviceId: DEVICE_ID,
    createdAt: new Date(0).toISOString(),
    broker: {
      url: 'mqtt://127.0.0.1:1',
      upTopic: `tapcard/v1/${DEVICE_ID}/up`,
      downTopic: `tapcard/v1/${DEVICE_ID}/down`,
      username: DEVICE_ID,
      password: 'bench-password',
      frameSize: 140,
    },
    tls: { caCertPem: pem('CERTIFICATE'), certPem: pem('CERTIFICATE'), keyPem: pem('PRIVATE KEY') },
    link: { keyIndex: 1, kic: '11'.repeat(16), kid: '22'.repeat(16) },
    se: { serial: BOARD_SE_SERIAL, isdKeyVersion: 0x30, isd: { enc: DEV_ISD_KEY, mac: DEV_ISD_KEY, dek: DEV_ISD_KEY } },
  };
  const file = path.join(dir, 'bundle.json');
  fs.writeFileSync(file, JSON.stringify(bundle));
  return file;
}

export interface TappedBoard {
  emulator: RunningEmulator;
  reader: VpcdReader;
  close(): Promise<void>;
}

/** Boots the bundle on an emulated board and powers the card on through a vpcd reader. */
export async function tapBoard(firmwareFile: string): Promise<TappedBoard> {
  const reader = new VpcdReader({ responseTimeoutMs: 20_000 });
  await reader.listen(0);
  const dir = tempDir('board');
  const emulator = await startEmulator({
    stateDir: dir,
    firmwareFile,
    provisionFile: writeBundle(dir),
    vpcd: { host: '127.0.0.1', port: reader.port },
  });
  await reader.waitForCard(20_000);
  await reader.powerOn();
  return {
    emulator,
    reader,
    async close() {
      await emulator.stop();
      await reader.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
