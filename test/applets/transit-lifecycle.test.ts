/**
 * The life cycle of a transit card: a package built with the dev keys (several KB, so many
 * LOAD blocks) is installed with GP LOAD over SCP03; then CREDIT 50.00, DEBIT 2.00; READ RECORD
 * shows both, GET BALANCE says 48.00 and the card manager's service record agrees. Run in process
 * and over the vpcd link (VpcdReader <-> VpcdCardClient with the SE as the card).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readU16, readU31 } from '../../firmware/src/core/bytes';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { CM_BALANCE, CM_CARD_NUMBER, CM_ISSUER, CM_LAST_AMOUNT, CM_LAST_COUNTER, CM_LAST_DATETIME, CM_LAST_TYPE } from '../../firmware/src/core/se/card-manager';
import type { SecureElement } from '../../firmware/src/core/se/secure-element';
import { SeCardDevice } from '../../host/se/virtual-se';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { VpcdReader } from '../../host/vpcd/vpcd-reader';
import { TestSe, cardPackage, installPackage } from './_harness';
import { PurseTerminal, TERMINAL_ID } from './_terminal';
import { checkStore } from '../../firmware/src/core/store/check';

const CARD_NUMBER = '31041000000000012345';

type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

async function lifeCycle(se: SecureElement, transmit: Transmit) {
  const send = async (h: string) => toHex(await transmit(fromHex(h)));
  const ok = async (h: string) => {
    const r = await send(h);
    expect(r.slice(-4), `${h} -> ${r}`).toBe('9000');
    return r.slice(0, -4);
  };
  const { spec, file } = cardPackage({ app: 'transit', issuerId: 1000, cardNumber: CARD_NUMBER, termsLength: 3000 });
  expect(file.length).toBeGreaterThan(3000);
  const installed = await installPackage(transmit, file, spec);
  expect(installed.blocks).toBeGreaterThan(10);
  expect(installed.instanceAid.toLowerCase()).toBe('a00000063201010503e8');

  // SELECT: FCI with the public information (card number at bytes 10..19 of 9F0C).
  const fci = await ok('00a404000aa00000063201010503e800');
  expect(fci).toContain('9f0c1e');
  expect(fci).toContain(CARD_NUMBER);
  expect((await ok('00b095001e')).slice(20, 40)).toBe(CARD_NUMBER);

  const terminal = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER)));
  // CREDIT 50.00 (5000 fen) on the EP purse.
  const initLoad = await ok(terminal.initLoad(2, 5000));
  const tac = await ok(terminal.credit(initLoad, 5000, 0x02, '20240315120000'));
  expect(tac).toBe(terminal.loadTac(5000, 0, 5000, 0x02, '20240315120000'));
  // DEBIT 2.00.
  const initPurchase = await ok(terminal.initPurchase(2, 200));
  expect(initPurchase.slice(0, 8)).toBe('00001388');
  const proof = await ok(terminal.debit(initPurchase, '00000007', 200, 0x06, '20240315123000'));
  expect(proof).toBe(terminal.purchaseProof('00000007', 200, 0x06, '20240315123000'));

  // SFI 18: newest first. counter | overdraft | amount | type | terminal | date-time
  expect(await ok('00b201c400')).toBe('0000' + '000000' + '000000c8' + '06' + TERMINAL_ID + '20240315123000');
  expect(await ok('00b202c400')).toBe('0000' + '000000' + '00001388' + '02' + TERMINAL_ID + '20240315120000');
  expect(await send('00b203c400')).toBe('6a83');
  expect(await ok('805c000204')).toBe('000012c0'); // 48.00

  // The card manager's service record agrees.
  const slot = se.registry.findApp(spec.instanceAid, 0, spec.instanceAid.length);
  expect(se.cardManager.load(slot)).toBe(true);
  const cm = se.cardManager.record;
  expect(readU31(cm, CM_BALANCE)).toBe(4800);
  expect(readU16(cm, CM_ISSUER)).toBe(1000);
  expect(toHex(cm, CM_CARD_NUMBER, 10)).toBe(CARD_NUMBER);
  expect(cm[CM_LAST_TYPE]).toBe(0x06);
  expect(readU31(cm, CM_LAST_AMOUNT)).toBe(200);
  expect(readU16(cm, CM_LAST_COUNTER)).toBe(0);
  expect(toHex(cm, CM_LAST_DATETIME, 7)).toBe('20240315123000');
  expect(checkStore(se.store).ok).toBe(true);
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('transit card life cycle', () => {
  it('in process: install over SCP03, credit 50.00, debit 2.00, log, balance 48.00, card manager', async () => {
    const t = new TestSe();
    await lifeCycle(t.se, t.transmit);
  });

  it('over the vpcd link', async () => {
    const t = new TestSe();
    const reader = new VpcdReader();
    const port = await reader.listen(0);
    const client = new VpcdCardClient({ host: '127.0.0.1', port, card: new SeCardDevice(t.se) });
    client.start();
    cleanups.push(async () => {
      await client.stop();
      await reader.close();
    });
    await reader.waitForCard(5000);
    await reader.powerOn();
    await lifeCycle(t.se, reader.transmit);
  });
});
