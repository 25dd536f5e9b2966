/**
 * `tapcard gp --pcsc` through a real pcscd with vsmartcard-vpcd (docs/vpcd-pcscd.md "pcscd", "Node clients"): the SE core is
 * the card in vpcd slot 0, the host side goes through libpcsclite via @pokusew/pcsclite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../contracts/exit-codes';
import { acquirePcscd, insertCard, type InsertedCard, type PcscdLease } from '../helpers/pcsc';
import { requireDebian } from '../helpers/skip';
import { newSeCard, runGp, tempFile } from './cli-harness';
import { buildTestLoadFile, MODULE_AID, PACKAGE_AID } from './se-package';

const SUITE = 'tapcard gp --pcsc through pcscd';
const missing = requireDebian(SUITE, ['pcscd', 'vsmartcard-vpcd', 'libpcsclite-dev'], { root: true });

describe.skipIf(missing)(SUITE, () => {
  let lease: PcscdLease;
  let card: InsertedCard;

  beforeAll(async () => {
    lease = await acquirePcscd();
    card = await insertCard(lease.pcscd, newSeCard());
  }, 60_000);

  afterAll(async () => {
    await card?.remove().catch(() => undefined);
    await lease?.release();
  });

  it('installs, lists and deletes at SL 33 in one run per action set', async () => {
    const reader = lease.pcscd.readerName;
    const file = tempFile('pkg.bin', buildTestLoadFile(1200));
    const install = await runGp(['--pcsc', reader, '--install', file, '--list', '--sl', '33', '--json']);
    expect(install.code, install.stderr).toBe(EXIT.OK);
    const out = JSON.parse(install.stdout);
    expect(out.reader).toBe(reader);
    expect(out.atr).toBe(card.atr.replace(/ /g, '').toUpperCase());
    expect(out.installed).toMatchObject({ packageAid: PACKAGE_AID, moduleAid: MODULE_AID, blockSize: 239 });
    expect(out.registry.loadFiles.map((e: { aid: string }) => e.aid)).toEqual([PACKAGE_AID]);

    const del = await runGp(['--pcsc', '--delete', PACKAGE_AID, '--list', '--json']);
    expect(del.code, del.stderr).toBe(EXIT.OK);
    expect(JSON.parse(del.stdout).registry.loadFiles).toEqual([]);
  });

  it('an unknown reader name is exit 4 after --wait', async () => {
    const r = await runGp(['--pcsc', 'No Such Reader', '--wait', '1', '--list']);
    expect(r.code).toBe(EXIT.NOT_FOUND);
  });
});
