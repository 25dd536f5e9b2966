/**
 * The emulated card seen through real PC/SC: pcscd + Debian's vsmartcard-vpcd, driven by the stock
 * tools (pcsc_scan, opensc-tool, scriptor) exactly as a user would (docs/vpcd-pcscd.md "Tools").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/src/core/hex';
import { pcscAvailable } from '../../host/pcsc/pcscd';
import { QUICKACK_HOST } from '../../host/pcsc/quickack-route';
import { acquirePcscd, insertCard, type InsertedCard, type PcscdLease } from '../helpers/pcsc';
import { openscListReaders, pcscScanCards, runOpensc, runScriptor, waitForEmptyReader } from '../helpers/pcsc-tools';
import { requireDebian } from '../helpers/skip';
import { TEST_ATR, TestCard } from '../helpers/test-card';

const SUITE = 'pcscd + vsmartcard-vpcd integration';
const SELECT_GP_ISD = '00A4040008A000000151000000';
const missing = requireDebian(SUITE, ['pcscd', 'vsmartcard-vpcd', 'pcsc-tools', 'opensc'], { root: true });

describe.skipIf(missing)(SUITE, () => {
  let lease: PcscdLease;
  let card: TestCard;
  let inserted: InsertedCard;

  beforeAll(async () => {
    lease = await acquirePcscd();
    card = new TestCard();
    inserted = await insertCard(lease.pcscd, card);
    const route = lease.pcscd.cardHost === QUICKACK_HOST ? 'quickack route' : 'plain loopback, ~44 ms per APDU (docs/vpcd-pcscd.md "The 44 ms stall")';
    console.log(`pcscd ${lease.pcscd.owned ? 'started' : 'reused'}; card at ${lease.pcscd.cardHost}:${lease.pcscd.cardPort} (${route})`);
  }, 60_000);

  afterAll(async () => {
    await inserted?.client.stop();
    await lease?.release();
  });

  it('pcscAvailable agrees this machine can run the PC/SC path', () => {
    expect(pcscAvailable()).toEqual({ ok: true, why: expect.stringContaining('available') });
  });

  it('pcsc_scan shows the card and its ATR in the vpcd reader', async () => {
    expect(inserted.atr).toBe(toHex(TEST_ATR));
    const slot0 = (await pcscScanCards()).find((s) => s.reader === lease.pcscd.readerName);
    expect(slot0).toMatchObject({ atr: '3b80800101' });
    expect(slot0?.state).toMatch(/^Card inserted/);
  });

  it('opensc-tool lists the reader with a card present', async () => {
    const readers = await openscListReaders();
    expect(readers).toContainEqual({ index: 0, cardPresent: true, name: lease.pcscd.readerName });
  });

  it('opensc-tool -c default gets exactly our APDU through', async () => {
    const before = card.log.length;
    const [select] = await runOpensc(SELECT_GP_ISD);
    expect(select).toEqual({ command: SELECT_GP_ISD.toLowerCase(), response: '9000', sw: '9000' });
    // OpenSC probes the card with its own APDUs unless -c default (docs/vpcd-pcscd.md "Tools"): none may arrive.
    expect(card.log.slice(before).filter((e) => e.startsWith('apdu'))).toEqual([`apdu ${SELECT_GP_ISD.toLowerCase()}`]);
  });

  it('opensc-tool reads response data and error status words', async () => {
    const [echo, unknown] = await runOpensc(['80EE0000144142204344454647484950515253545556575859', '00B2010C00']);
    expect(echo.response).toBe('4142204344454647484950515253545556575859' + '9000');
    expect(unknown.sw).toBe('6d00');
  });

  it('scriptor runs a script of APDUs over T=1', async () => {
    const exchanges = await runScriptor(['00 A4 04 00 07 A0 00 00 00 03 10 10', '00 B2 01 0C 00', '80 EE 00 00 03 01 02 03 00']);
    expect(exchanges.map((e) => e.response)).toEqual(['9000', '6d00', '0102039000']);
  });

  it('reports the reader empty once the card leaves the field', async () => {
    await inserted.remove();
    await waitForEmptyReader(lease.pcscd.readerName);
    const readers = await openscListReaders();
    expect(readers.find((r) => r.index === 0)?.cardPresent).toBe(false);
  });
});
