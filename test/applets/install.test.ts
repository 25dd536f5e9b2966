/**
 * Installing card packages: personalisation lands in the applet's records and the card manager in
 * the INSTALL commit; a package the class cannot use is refused with 6A80 and leaves nothing
 * behind; DELETE takes the card, its records and its service record away.
 */
import { describe, expect, it } from 'vitest';
import { readU16, readU31 } from '../../firmware/src/core/bytes';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { encodePin } from '../../firmware/src/core/package/bcd';
import { KEY_ALG_AES128 } from '../../firmware/src/core/package/format';
import { makePackageSpec } from '../../firmware/src/core/package/card-package';
import { CM_APP_CLASS, CM_BALANCE, CM_CARD_NUMBER, CM_ISSUER, CM_STATUS, CM_VERSION } from '../../firmware/src/core/se/card-manager';
import { REC_APP_DATA_BASE } from '../../firmware/src/core/se/records';
import { CardError } from '../../contracts/card-errors';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';
import { TestSe, cardRequest, installPackage, packageFile } from './_harness';
import { checkStore } from '../../firmware/src/core/store/check';

const CARD = '31041000000000012345';

function recordsOf(t: TestSe, slot: number): number {
  let n = 0;
  for (let id = t.se.store.nextId(REC_APP_DATA_BASE + slot, -1); id >= 0; id = t.se.store.nextId(REC_APP_DATA_BASE + slot, id)) n++;
  return n;
}

async function refused(mutate: (spec: ReturnType<typeof makePackageSpec>) => void, app: 'transit' | 'loyalty' = 'transit') {
  const t = new TestSe();
  const spec = makePackageSpec(cardRequest({ app, cardNumber: CARD }));
  mutate(spec);
  const err = await installPackage(t.transmit, packageFile(spec), spec).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CardError);
  expect((err as CardError).sw).toBe(0x6a80);
  expect(t.se.registry.findApp(spec.instanceAid, 0, spec.instanceAid.length)).toBe(-1);
  expect(t.se.cardManager.load(0)).toBe(false);
  expect(recordsOf(t, 0)).toBe(0);
  expect(checkStore(t.se.store).ok).toBe(true);
}

describe('installing card packages', () => {
  it('writes the card manager record (class, issuer, card number, balance 0, version) with the card', async () => {
    const t = new TestSe();
    const spec = makePackageSpec(cardRequest({ app: 'transit', cardNumber: CARD }));
    await installPackage(t.transmit, packageFile(spec), spec, 0x01);
    const slot = t.se.registry.findApp(spec.instanceAid, 0, spec.instanceAid.length);
    expect(t.se.cardManager.load(slot)).toBe(true);
    const cm = t.se.cardManager.record;
    expect([cm[CM_APP_CLASS], readU16(cm, CM_ISSUER), toHex(cm, CM_CARD_NUMBER, 10), readU31(cm, CM_BALANCE), readU16(cm, CM_VERSION), cm[CM_STATUS]]).toEqual([
      1, 1000, CARD, 0, 0x0100, 0,
    ]);
    expect(recordsOf(t, slot)).toBe(4); // CONFIG, KEYS, STATE, MAC tally; the log fills as transactions come
  });

  it('refuses a purse package with a non-3DES key, a missing key kind, or a PIN on a transit card (6A80)', async () => {
    await refused((s) => (s.keys[0].algorithm = KEY_ALG_AES128));
    await refused((s) => s.keys.pop());
    await refused((s) => (s.pin = encodePin('1234', 4, 12)));
    await refused((s) => (s.ceiling = 0x40000000));
  });

  it('refuses a loyalty package without its AES key (6A80)', async () => {
    await refused((s) => (s.keys = makePackageSpec(cardRequest({ app: 'transit', cardNumber: CARD })).keys), 'loyalty');
  });

  it('DELETE removes the card, its records and its card manager record', async () => {
    const t = new TestSe();
    const spec = makePackageSpec(cardRequest({ app: 'ecash', cardNumber: CARD, pin: '4321' }));
    await installPackage(t.transmit, packageFile(spec), spec);
    const gp = new GpSession(t.transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel: 0x01 });
    await gp.delete(spec.packageAid, true);
    expect(t.se.registry.findApp(spec.instanceAid, 0, spec.instanceAid.length)).toBe(-1);
    expect(t.se.cardManager.load(0)).toBe(false);
    expect(recordsOf(t, 0)).toBe(0);
    expect(t.send(`00a40400${spec.instanceAid.length.toString(16).padStart(2, '0')}${toHex(spec.instanceAid)}00`)).toBe('6a82');
  });
});
