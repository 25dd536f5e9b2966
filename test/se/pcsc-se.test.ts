/**
 * `tapcard se serve` seen by real PC/SC programs through pcscd + vsmartcard-vpcd:
 * pcsc_scan shows the SE's ATR, opensc-tool and scriptor SELECT the ISD and get its FCI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcscScanCards, runOpensc, runScriptor } from '../helpers/pcsc-tools';
import { serveSeInPcscd, type ServedSe } from '../helpers/se-serve';
import { requireDebian } from '../helpers/skip';

const SUITE = 'tapcard se serve through pcscd';
const missing = requireDebian(SUITE, ['pcscd', 'vsmartcard-vpcd', 'pcsc-tools', 'opensc'], { root: true });
const ISD_FCI = '6f108408a000000151000000a5049f6501ff';

describe.skipIf(missing)(SUITE, () => {
  let served: ServedSe;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-se-'));
    served = await serveSeInPcscd(stateDir);
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('pcsc_scan shows the SE with its contactless ATR', async () => {
    const slot = (await pcscScanCards()).find((s) => s.reader === served.lease.pcscd.readerName);
    expect(slot?.atr).toBe('3b8a8001544150434152442d534561');
    expect(served.output()).toMatch(/in the field/);
  });

  it('opensc-tool selects the ISD and gets its FCI + 9000', async () => {
    const [select] = await runOpensc('00A4040008A00000015100000000');
    expect(select.response).toBe(ISD_FCI + '9000');
  });

  it('scriptor reads card data and sees the SCP03 gate', async () => {
    const ex = await runScriptor(['00 A4 04 00 08 A0 00 00 01 51 00 00 00 00', '80 CA 00 66 00', '80 F2 80 02 02 4F 00 00']);
    expect(ex[0].response).toBe(ISD_FCI + '9000');
    expect(ex[1].response).toMatch(/^6631.*9000$/);
    expect(ex[2].sw).toBe('6982');
  });

  it('keeps its state in --state DIR', () => {
    expect(fs.readdirSync(stateDir).sort()).toEqual(['se-flash.bin', 'se-serial.txt']);
  });
});
