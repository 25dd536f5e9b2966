/**
 * Contactless routing with several cards in one SE: SELECT by AID reaches the card
 * holding that AID (two transit cards from two cities side by side, and a T-Union reader's partial
 * SELECT), the default card answers when nothing was selected, and SELECT 2PAY.SYS.DDF01 lists the
 * payment applications.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { TestSe, cardPackage, installPackage, type CardOptions } from './_harness';
import { PurseTerminal, load } from './_terminal';

const BEIJING = { issuerId: 1000, cardNumber: '10000000000000000001', aid: 'a00000063201010503e8' };
const SHANGHAI = { issuerId: 2900, cardNumber: '29000000000000000002', aid: 'a0000006320101050b54' };
const ECASH_AID = 'f05441504345430bb8';
const LOYALTY_AID = 'f0544150434c5901f4';
const PPSE = '325041592e5359532e4444463031';

async function seWith(cards: CardOptions[]): Promise<TestSe> {
  const t = new TestSe();
  for (const c of cards) {
    const { spec, file } = cardPackage({ termsLength: 600, ...c });
    await installPackage(t.transmit, file, spec);
  }
  t.se.reset();
  return t;
}

function select(aid: string, p2 = '00'): string {
  return `00a404${p2}${(aid.length / 2).toString(16).padStart(2, '0')}${aid}00`;
}

function terminalFor(cardNumber: string): PurseTerminal {
  return new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(cardNumber)));
}

describe('contactless routing', () => {
  it('two transit cards with different AIDs: each SELECT reaches its own card and purse', async () => {
    const t = await seWith([
      { app: 'transit', issuerId: BEIJING.issuerId, cardNumber: BEIJING.cardNumber },
      { app: 'transit', issuerId: SHANGHAI.issuerId, cardNumber: SHANGHAI.cardNumber },
    ]);
    const send = (h: string) => t.send(h);
    expect(t.ok(select(BEIJING.aid))).toContain(BEIJING.cardNumber);
    load(send, terminalFor(BEIJING.cardNumber), 2, 1500);
    expect(t.ok(select(SHANGHAI.aid))).toContain(SHANGHAI.cardNumber);
    load(send, terminalFor(SHANGHAI.cardNumber), 2, 700);
    // The Beijing keys do not fit the Shanghai card.
    expect(() => terminalFor(BEIJING.cardNumber).credit(t.ok(terminalFor(BEIJING.cardNumber).initLoad(2, 1)), 1, 2, '20240101000000')).toThrow(/MAC1/);
    t.ok(select(BEIJING.aid));
    expect(t.ok('805c000204')).toBe('000005dc');
    t.ok(select(SHANGHAI.aid));
    expect(t.ok('805c000204')).toBe('000002bc');
  });

  it('a T-Union reader selecting A000000632010105 reaches the first transit card, P2 02 the next one', async () => {
    const t = await seWith([
      { app: 'transit', issuerId: BEIJING.issuerId, cardNumber: BEIJING.cardNumber },
      { app: 'transit', issuerId: SHANGHAI.issuerId, cardNumber: SHANGHAI.cardNumber },
    ]);
    expect(t.ok(select('a000000632010105'))).toContain(BEIJING.aid);
    expect(t.ok(select('a000000632010105', '02'))).toContain(SHANGHAI.aid);
    expect(t.send(select('a000000632010105', '02'))).toBe('6a82');
    // The bare T-Union AID as a card's own AID (--tunion) is an exact match.
    const u = await seWith([{ app: 'transit', tunion: true }]);
    expect(u.ok(select('a000000632010105'))).toContain('8408a000000632010105');
  });

  it('the default card answers commands sent without a SELECT; without one the ISD does', async () => {
    const plain = await seWith([{ app: 'transit', issuerId: BEIJING.issuerId, cardNumber: BEIJING.cardNumber }]);
    expect(plain.send('805c000204')).toBe('6d00'); // the ISD has no GET BALANCE
    const t = await seWith([
      { app: 'transit', issuerId: BEIJING.issuerId, cardNumber: BEIJING.cardNumber },
      { app: 'transit', issuerId: SHANGHAI.issuerId, cardNumber: SHANGHAI.cardNumber, defaultCard: true },
    ]);
    load((h) => t.send(h), terminalFor(SHANGHAI.cardNumber), 2, 250);
    t.se.reset();
    expect(t.ok('805c000204')).toBe('000000fa');
    expect(t.ok('00b095001e').slice(20, 40)).toBe(SHANGHAI.cardNumber);
    // An explicit SELECT still goes where it says, and the ISD is still reachable.
    expect(t.ok(select(BEIJING.aid))).toContain(BEIJING.cardNumber);
    expect(t.ok('00a4040008a00000015100000000')).toContain('a000000151000000');
  });

  it('SELECT 2PAY.SYS.DDF01 lists the transit and e-cash cards (default first), not the loyalty card', async () => {
    const t = await seWith([
      { app: 'loyalty', issuerId: 500 },
      { app: 'transit', issuerId: BEIJING.issuerId, cardNumber: BEIJING.cardNumber },
      { app: 'ecash', issuerId: 3000, defaultCard: true },
    ]);
    const fci = t.ok(select(PPSE));
    const entry = (aid: string, label: string, priority: number) =>
      `61${(2 + aid.length / 2 + 2 + label.length + 3).toString(16).padStart(2, '0')}4f${(aid.length / 2).toString(16).padStart(2, '0')}${aid}50${label.length.toString(16).padStart(2, '0')}${toHex(new TextEncoder().encode(label))}8701${priority.toString(16).padStart(2, '0')}`;
    const entries = entry(ECASH_AID, 'ecash', 1) + entry(BEIJING.aid, 'transit', 2);
    expect(fci).toContain(`840e${PPSE}`);
    expect(fci.slice(-entries.length)).toBe(entries);
    expect(fci).not.toContain(LOYALTY_AID);
    // The directory is not an application: other commands get 6D00 until a card is selected.
    expect(t.send('805c000204')).toBe('6d00');
    expect(t.ok(select(ECASH_AID))).toContain(ECASH_AID);
  });
});
