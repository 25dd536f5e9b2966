/**
 * The bank e-cash card through its own commands: the ED (deposit, P2 01) and EP (purse, P2 02)
 * purses with the bank's dev keys and AID, separate balances and counters, and the PIN VERIFY an
 * ED purchase needs when the package carries a PIN.
 */
import { describe, expect, it } from 'vitest';
import { readU31 } from '../../firmware/src/core/bytes';
import { fromHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devBankMasterKeys, devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { CM_BALANCE } from '../../firmware/src/core/se/card-manager';
import { TestSe, cardPackage, installPackage } from './_harness';
import { PurseTerminal, load, purchase } from './_terminal';

const CARD_NUMBER = '62270000000000001234';
/** F0 'TAPC' 'EC' issuer 0x0BB8 (3000). */
const AID = 'f05441504345430bb8';

async function bankCard(pin?: string) {
  const t = new TestSe();
  const { spec, file } = cardPackage({ app: 'ecash', issuerId: 3000, cardNumber: CARD_NUMBER, pin });
  expect(Buffer.from(spec.instanceAid).toString('hex')).toBe(AID);
  await installPackage(t.transmit, file, spec);
  t.ok(`00a4040009${AID}00`);
  const terminal = new PurseTerminal(diversifyPurseKeys(devBankMasterKeys(), fromHex(CARD_NUMBER)));
  return { t, terminal, send: (h: string) => t.send(h) };
}

describe('bank e-cash card', () => {
  it('deposits and debits on ED and EP, each with its own balance; the card manager shows the total', async () => {
    const { t, terminal, send } = await bankCard();
    load(send, terminal, 1, 20000);
    load(send, terminal, 2, 3000);
    purchase(send, terminal, 1, 1500);
    purchase(send, terminal, 2, 250);
    expect(t.ok('805c000104')).toBe((18500).toString(16).padStart(8, '0'));
    expect(t.ok('805c000204')).toBe((2750).toString(16).padStart(8, '0'));
    // Log: newest first, ED purchase type 05, EP purchase 06.
    expect(t.ok('00b201c400').slice(18, 20)).toBe('06');
    expect(t.ok('00b202c400').slice(18, 20)).toBe('05');
    expect(t.ok('00b204c400').slice(18, 20)).toBe('01');
    // Each purse counts its own transactions: the ED online counter is 1, the EP offline counter 1.
    expect(t.ok(terminal.initLoad(1, 1)).slice(8, 12)).toBe('0001');
    expect(t.ok(terminal.initPurchase(2, 1)).slice(8, 12)).toBe('0001');
    const slot = t.se.registry.findApp(fromHex(AID), 0, 9);
    t.se.cardManager.load(slot);
    expect(readU31(t.se.cardManager.record, CM_BALANCE)).toBe(18500 + 2750);
  });

  it('the transit keys do not work on the bank card (MAC1 of INITIALIZE FOR LOAD does not check out)', async () => {
    const { t } = await bankCard();
    const wrong = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER)));
    expect(() => wrong.credit(t.ok(wrong.initLoad(2, 100)), 100, 0x02, '20240316080000')).toThrow(/MAC1/);
  });

  it('with a PIN, an ED purchase needs VERIFY; wrong PINs count down (63Cx) and block (6983); EP needs none', async () => {
    const { t, terminal, send } = await bankCard('123456');
    load(send, terminal, 1, 10000);
    load(send, terminal, 2, 10000);
    expect(t.send(terminal.initPurchase(1, 100))).toBe('6982');
    purchase(send, terminal, 2, 100);
    expect(t.send('0020000000')).toBe('63c3');
    expect(t.send('0020000003123457')).toBe('63c2');
    expect(t.send(terminal.initPurchase(1, 100))).toBe('6982');
    t.ok('0020000003123456');
    expect(t.send('0020000000')).toBe('63c3'); // a good PIN restores the tries
    purchase(send, terminal, 1, 100);
    expect(t.ok('805c000104')).toBe((9900).toString(16).padStart(8, '0'));
    // Reselecting forgets the verification.
    t.ok(`00a4040009${AID}00`);
    expect(t.send(terminal.initPurchase(1, 100))).toBe('6982');
    for (const left of ['63c2', '63c1', '63c0']) expect(t.send('0020000003000000')).toBe(left);
    expect(t.send('0020000003123456')).toBe('6983');
    expect(t.send(terminal.initPurchase(1, 100))).toBe('6982');
    purchase(send, terminal, 2, 100); // the EP purse is not PIN-guarded
  });

  it('VERIFY on a card without a PIN is 6A88; a PIN cannot go on a transit package', async () => {
    const { t } = await bankCard();
    expect(t.send('0020000003123456')).toBe('6a88');
    expect(() => cardPackage({ app: 'transit', pin: '1234' })).toThrow(/PIN/);
  });
});
