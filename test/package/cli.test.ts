/**
 * `tapcard package build` and `inspect`: the file is a C4 Load File Data Block, inspect --json
 * names the AIDs as hex, and a GP host installs the file with exactly those AIDs and privileges.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { run } from '../../cli/package';
import { EXIT } from '../../contracts/exit-codes';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile } from '../../host/gp/load-file';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';
import { TestSe } from '../applets/_harness';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-package-'));

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await run(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('tapcard package', () => {
  it('builds a transit package with the dev keys; inspect --json names the AIDs; a GP host installs it with them', async () => {
    const file = path.join(dir, 'bj.pkg');
    const built = await capture(['build', '--app', 'transit', '--issuer', '1000', '--card-number', '31041000000000012345', '--dev-keys', '--default', '--out', file]);
    expect(built.code).toBe(EXIT.OK);
    const bytes = new Uint8Array(fs.readFileSync(file));
    expect(bytes[0]).toBe(0xc4);
    expect(bytes.length).toBeGreaterThan(2000);

    const inspected = await capture(['inspect', file, '--json']);
    expect(inspected.code).toBe(EXIT.OK);
    const info = JSON.parse(inspected.out);
    expect(info).toMatchObject({
      loadFileAid: 'F054415043500103E8000000012345',
      moduleAid: 'F0544150434D4F01',
      instanceAid: 'A00000063201010503E8',
      applicationAid: 'A00000063201010503E8',
      privileges: '04',
      className: 'transit',
      cardNumber: '31041000000000012345',
      issuerId: 1000,
      pin: false,
      signature: { algorithm: 'Ed25519', check: 'valid' },
    });
    expect(info.loadBlocks.cdecCmac).toBeGreaterThan(8);
    const cardKeys = diversifyPurseKeys(devTransitMasterKeys(), fromHex('31041000000000012345'));
    for (const k of [cardKeys.load, cardKeys.purchase, cardKeys.tac]) expect(inspected.out.toLowerCase()).not.toContain(toHex(k).slice(0, 12));

    const t = new TestSe();
    const gp = new GpSession(t.transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel: 0x03 });
    await gp.install(parseLoadFile(bytes), {
      packageAid: fromHex(info.loadFileAid),
      moduleAid: fromHex(info.moduleAid),
      instanceAid: fromHex(info.instanceAid),
      privileges: fromHex(info.privileges),
    });
    t.se.reset();
    expect(t.ok('805c000204')).toBe('00000000'); // the default card answers without a SELECT
  });

  it('builds e-cash (with PIN) and loyalty packages; the text inspect shows KCVs, not keys', async () => {
    const ecash = path.join(dir, 'bank.pkg');
    expect((await capture(['build', '--app', 'ecash', '--issuer', '3000', '--card-number', '6227000000001234', '--dev-keys', '--pin', '123456', '--out', ecash])).code).toBe(EXIT.OK);
    const text = await capture(['inspect', ecash]);
    expect(text.out).toMatch(/class\s+ecash/);
    expect(text.out).toMatch(/PIN\s+yes/);
    expect(text.out).toMatch(/key\s+load #1 v1 3DES KCV [0-9A-F]{6}/);
    const loyalty = path.join(dir, 'shop.pkg');
    expect((await capture(['build', '--app', 'loyalty', '--issuer', '500', '--card-number', '42', '--dev-keys', '--unsigned', '--out', loyalty])).code).toBe(EXIT.OK);
    const info = JSON.parse((await capture(['inspect', loyalty, '--json'])).out);
    expect(info).toMatchObject({ className: 'loyalty', instanceAid: 'F0544150434C5901F4', cardNumber: '00000000000000000042', signature: null });
    expect(info.keys).toEqual([expect.objectContaining({ type: 'loyalty-mac', algorithm: 'AES-128' })]);
  });

  it('reads master keys and a signing seed from a JSON file', async () => {
    const keys = path.join(dir, 'keys.json');
    fs.writeFileSync(keys, JSON.stringify({ keyIndex: 2, keyVersion: 3, load: '00'.repeat(16), purchase: '11'.repeat(16), tac: '22'.repeat(16), signingSeed: '33'.repeat(32) }));
    const file = path.join(dir, 'own.pkg');
    expect((await capture(['build', '--app', 'transit', '--issuer', '2900', '--card-number', '1', '--master-keys', keys, '--tunion', '--out', file])).code).toBe(EXIT.OK);
    const info = JSON.parse((await capture(['inspect', file, '--json'])).out);
    expect(info.instanceAid).toBe('A000000632010105');
    expect(info.keys[0]).toMatchObject({ index: 2, version: 3 });
    // Not the dev key of issuer 2900: inspect cannot verify it without --issuer-key.
    expect(info.signature.check).toBe('unknown-key');
  });

  it('refuses bad command lines (exit 2) and non-packages (exit 1)', async () => {
    const out = path.join(dir, 'x.pkg');
    expect((await capture(['build', '--app', 'bus', '--issuer', '1', '--card-number', '1', '--dev-keys', '--out', out])).code).toBe(EXIT.USAGE);
    expect((await capture(['build', '--app', 'transit', '--issuer', '70000', '--card-number', '1', '--dev-keys', '--out', out])).code).toBe(EXIT.USAGE);
    expect((await capture(['build', '--app', 'transit', '--issuer', '1', '--card-number', '1', '--out', out])).code).toBe(EXIT.USAGE);
    expect((await capture(['build', '--app', 'transit', '--issuer', '1', '--card-number', '1', '--dev-keys', '--pin', '1234', '--out', out])).code).toBe(EXIT.USAGE);
    expect((await capture(['build', '--app', 'transit', '--issuer', '1', '--card-number', '1', '--dev-keys', '--valid-to', '20241301', '--out', out])).code).toBe(EXIT.USAGE);
    expect((await capture(['frobnicate'])).code).toBe(EXIT.USAGE);
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, Buffer.from('c40300', 'hex'));
    const r = await capture(['inspect', junk]);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toMatch(/not a tapcard package/);
  });
});
