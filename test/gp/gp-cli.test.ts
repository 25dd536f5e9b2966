/** `tapcard gp` over its vpcd reader with the SE core as the card: output, JSON, exit codes. */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../contracts/exit-codes';
import { fromHex } from '../../firmware/src/core/hex';
import { GpSession } from '../../host/gp/gp-session';
import { diversifyIsdKeys, sameKeyForAll } from '../../host/gp/keys';
import { newSeCard, runGp, runGpWithCard, SE_SERIAL, tempFile } from './cli-harness';
import { buildTestLoadFile, MODULE_AID, PACKAGE_AID } from './se-package';

describe('tapcard gp --vpcd-listen', () => {
  it('--install then --list: GPPro-style listing, LOAD progress on stderr', async () => {
    const card = newSeCard();
    const file = tempFile('pkg.bin', buildTestLoadFile(900));
    const r = await runGpWithCard(card, ['--install', file, '--instance', 'A000000151000199', '--list', '--sl', '33']);
    expect(r.stderr).toContain('using the development key');
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain(`Installed A000000151000199 (module ${MODULE_AID}) from load file ${PACKAGE_AID}: 4 LOAD block(s) of up to 239 bytes`);
    expect(r.stdout).toMatch(/^ISD: A000000151000000 \(SECURED\)\n {5}Privs: {3}SecurityDomain, CardLock/m);
    expect(r.stdout).toContain(`APP: A000000151000199 (SELECTABLE)\n     From:    ${PACKAGE_AID}`);
    expect(r.stdout).toContain(`PKG: ${PACKAGE_AID} (LOADED)`);
    expect(r.stdout).toContain(`     Applet:  ${MODULE_AID}`);
    expect(r.stderr).toMatch(/LOAD 4\/4 \(\d+\/\d+ bytes\)/);
  });

  it('--json: one object with the channel, the actions and the registry', async () => {
    const card = newSeCard();
    const r = await runGpWithCard(card, ['--put-key', '--new-kvn', '31', '--new-key', '000102030405060708090a0b0c0d0e0f', '--list', '--json', '--sl', '11']);
    expect(r.code).toBe(EXIT.OK);
    const out = JSON.parse(r.stdout);
    expect(out.secureChannel).toMatchObject({ kvn: 0x30, i: 0x70, kdd: SE_SERIAL.toUpperCase(), securityLevel: 0x11 });
    expect(out.putKey).toEqual({ kvn: 0x31, kcvs: ['C35280', 'C35280', 'C35280'] });
    expect(out.registry.isd[0]).toMatchObject({ aid: 'A000000151000000', lifeCycleName: 'SECURED', privileges: '9EFE80' });
    expect(r.stderr).toBe('');
  });

  it('a card error is exit 3 with the SW in the JSON error', async () => {
    const r = await runGpWithCard(newSeCard(), ['--delete', 'A0000001519999', '--json']);
    expect(r.code).toBe(EXIT.CARD_ERROR);
    expect(JSON.parse(r.stdout).error).toEqual({
      code: 'CARD_ERROR',
      message: 'DELETE failed: 6A88 referenced data not found',
      sw: '6A88',
      swText: '6A88 referenced data not found',
    });
  });

  it('wrong keys are exit 3 (card cryptogram mismatch)', async () => {
    const r = await runGpWithCard(newSeCard(), ['--list', '--key', '00'.repeat(16)]);
    expect(r.code).toBe(EXIT.CARD_ERROR);
    expect(r.stderr).toContain('card cryptogram mismatch');
  });

  it('keys diversified from --kmc over the KDD open a key set loaded with the same derivation', async () => {
    const card = newSeCard();
    const kmc = '000102030405060708090a0b0c0d0e0f';
    const k = diversifyIsdKeys(fromHex(kmc), fromHex(SE_SERIAL));
    expect(k.enc).not.toEqual(k.mac);
    // PUT KEY via the CLI loads one key for all three roles, so load the diversified set in process.
    const gp = new GpSession(async (apdu) => card.transmit(apdu));
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: sameKeyForAll(fromHex('404142434445464748494a4b4c4d4e4f')) });
    await gp.putKeySet(0x32, k);
    gp.close();
    const r = await runGpWithCard(card, ['--list', '--kmc', kmc, '--kvn', '32', '--json']);
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout).secureChannel.kvn).toBe(0x32);
  });

  it('no card within --wait is exit 4', async () => {
    const r = await runGp(['--vpcd-listen', '0', '--wait', '0.2', '--list']);
    expect(r.code).toBe(EXIT.NOT_FOUND);
  });
});

describe('tapcard gp usage', () => {
  for (const [args, text] of [
    [['--list'], 'exactly one of --vpcd-listen'],
    [['--vpcd-listen', '1', '--pcsc', '--list'], 'exactly one of --vpcd-listen'],
    [['--vpcd-listen', '1'], 'nothing to do'],
    [['--vpcd-listen', '1', '--list', '--sl', '02'], '--sl must be 01, 03, 11, 13 or 33'],
    [['--vpcd-listen', '1', '--delete', 'A000'], 'AID of 5..16 bytes'],
    [['--vpcd-listen', '1', '--list', '--key', '0011'], 'AES key of 16, 24 or 32 bytes'],
    [['--vpcd-listen', '1', '--put-key', '--new-kvn', '31'], '--put-key needs'],
    [['--vpcd-listen', '1', '--list', '--module', 'A000000151000101'], '--module goes with --install'],
    [['--vpcd-listen', '1', '--list', '--bogus'], "Unknown option '--bogus'"],
  ] as const) {
    it(`${args.join(' ')} -> exit 2 (${text})`, async () => {
      const r = await runGp([...args]);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.stderr).toContain(text);
    });
  }

  it('--help lists the actions and exits 0', async () => {
    const r = await runGp(['--help']);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/--install FILE[\s\S]*--delete AID[\s\S]*--put-key/);
  });
});
