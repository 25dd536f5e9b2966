/**
 * Refusals of the purse: each gets its JR/T 0025 / ISO status word and leaves balance, counters,
 * log and card-manager record exactly as they were (JR/T 0025 status words; docs/apdu.md).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { CM_STATUS, CM_STATUS_LOCKED } from '../../firmware/src/core/se/card-manager';
import { MAC_TALLY_LEN, REC_MAC_TALLY, REC_STATE, STATE_LEN, ST_MAC_TRIES } from '../../firmware/src/core/applets/purse/records';
import { REC_APP_DATA_BASE } from '../../firmware/src/core/se/records';
import { TestSe, cardPackage, installPackage } from './_harness';
import { PurseTerminal, load, purchase } from './_terminal';

const CARD_NUMBER = '31041000000000054321';
const AID = 'a00000063201010503e8';

async function transitCard(ceiling?: number) {
  const t = new TestSe();
  const { spec, file } = cardPackage({ app: 'transit', cardNumber: CARD_NUMBER, ceiling });
  await installPackage(t.transmit, file, spec);
  t.ok(`00a404000a${AID}00`);
  const terminal = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER)));
  const send = (h: string) => t.send(h);
  load(send, terminal, 2, 1000);
  return { t, terminal, send };
}

/** The command with the last bit of its MAC (the 4 bytes before Le) flipped. */
function flipMacBit(apdu: string): string {
  const b = fromHex(apdu);
  b[b.length - 2] ^= 0x01;
  return toHex(b);
}

/** Everything a refused command must not change: balance, counters (via INITIALIZE answers), log, card manager. */
function snapshot(t: TestSe): string {
  const parts = [t.send('805c000204')];
  for (let n = 1; n <= 3; n++) parts.push(t.send(`00b2${n.toString(16).padStart(2, '0')}c400`));
  const slot = t.se.registry.findApp(fromHex(AID), 0, 10);
  t.se.cardManager.load(slot);
  parts.push(toHex(t.se.cardManager.record));
  return parts.join('|');
}

/** Online and offline counters, read from fresh INITIALIZE answers (then the session is dropped by reselecting). */
function counters(t: TestSe, terminal: PurseTerminal): string {
  const online = t.send(terminal.initLoad(2, 1)).slice(8, 12);
  const offline = t.send(terminal.initPurchase(2, 1)).slice(8, 12);
  t.ok(`00a404000a${AID}00`);
  return online + offline;
}

describe('purse refusals leave no trace', () => {
  it('wrong MAC2 on CREDIT FOR LOAD: 9302', async () => {
    const { t, terminal } = await transitCard();
    const before = snapshot(t) + counters(t, terminal);
    const credit = terminal.credit(t.ok(terminal.initLoad(2, 500)), 500, 0x02, '20240316080000');
    expect(t.send(flipMacBit(credit))).toBe('9302');
    expect(snapshot(t) + counters(t, terminal)).toBe(before);
  });

  it('wrong MAC1 on DEBIT FOR PURCHASE: 9302', async () => {
    const { t, terminal } = await transitCard();
    const before = snapshot(t) + counters(t, terminal);
    const init = t.ok(terminal.initPurchase(2, 100));
    const debit = terminal.debit(init, '00000001', 100, 0x06, '20240316080000');
    expect(t.send(flipMacBit(debit))).toBe('9302');
    expect(snapshot(t) + counters(t, terminal)).toBe(before);
  });

  it('replayed CREDIT FOR LOAD: 6985 in the same session, 9302 after a new INITIALIZE', async () => {
    const { t, terminal } = await transitCard();
    const credit = terminal.credit(t.ok(terminal.initLoad(2, 300)), 300, 0x02, '20240316080000');
    t.ok(credit);
    const after = snapshot(t);
    expect(t.send(credit)).toBe('6985');
    t.ok(terminal.initLoad(2, 300));
    expect(t.send(credit)).toBe('9302');
    t.ok(`00a404000a${AID}00`);
    expect(snapshot(t)).toBe(after);
  });

  it('CREDIT without INITIALIZE, DEBIT after INITIALIZE FOR LOAD: 6985', async () => {
    const { t, terminal } = await transitCard();
    const before = snapshot(t);
    expect(t.send('805200000b2024031608000011223344' + '04')).toBe('6985');
    t.ok(terminal.initLoad(2, 10));
    expect(t.send('805401000f000000012024031608000011223344' + '08')).toBe('6985');
    expect(snapshot(t)).toBe(before);
  });

  it('insufficient balance: 9401 at INITIALIZE FOR PURCHASE', async () => {
    const { t, terminal } = await transitCard();
    const before = snapshot(t) + counters(t, terminal);
    expect(t.send(terminal.initPurchase(2, 1001))).toBe('9401');
    expect(snapshot(t) + counters(t, terminal)).toBe(before);
    purchase((h) => t.send(h), terminal, 2, 1000); // exactly the balance is fine
    expect(t.ok('805c000204')).toBe('00000000');
  });

  it('overflow: a load past the ceiling or an amount with the top bit set is 6A80', async () => {
    const { t, terminal } = await transitCard(5000);
    const before = snapshot(t) + counters(t, terminal);
    expect(t.send(terminal.initLoad(2, 4001))).toBe('6a80');
    expect(t.send('805000020b0180000000001122334455' + '10')).toBe('6a80');
    expect(t.send('805000020b0100000000001122334455' + '10')).toBe('6a80');
    expect(snapshot(t) + counters(t, terminal)).toBe(before);
    load((h) => t.send(h), terminal, 2, 4000); // up to the ceiling is fine
    expect(t.ok('805c000204')).toBe('00001388');
  });

  it('unknown key index: 9403; ED purse on a transit card: 6A86; bad lengths: 6700', async () => {
    const { t, terminal } = await transitCard();
    const before = snapshot(t);
    expect(t.send('805000020b0200000064001122334455' + '10')).toBe('9403');
    expect(t.send('805001020b0200000064001122334455' + '0f')).toBe('9403');
    expect(t.send(terminal.initLoad(1, 100))).toBe('6a86');
    expect(t.send('805c000104')).toBe('6a86');
    expect(t.send('805000020a01000000640011223344' + '10')).toBe('6700');
    t.ok(terminal.initLoad(2, 100));
    expect(t.send('805200000a20240316080000112233' + '04')).toBe('6700');
    expect(t.send('80ee000000')).toBe('6d00');
    expect(t.send('90b0950000')).toBe('6e00');
    expect(snapshot(t)).toBe(before);
  });

  it('GET TRANSACTION PROVE: 9406 for anything but the last transaction', async () => {
    const { t } = await transitCard();
    expect(t.send('805a0002020000' + '08').slice(-4)).toBe('9000'); // the load of 10.00, counter 0000
    expect(t.send('805a0002020001' + '08')).toBe('9406');
    expect(t.send('805a0006020000' + '08')).toBe('9406');
  });

  it('three bad MACs in a row lock the purse (9303) and the card manager shows it; a good MAC resets the count', async () => {
    const { t, terminal } = await transitCard();
    const badCredit = () => {
      const credit = terminal.credit(t.ok(terminal.initLoad(2, 5)), 5, 0x02, '20240316080000');
      return t.send(credit.slice(0, -10) + '0000000004');
    };
    expect(badCredit()).toBe('9302');
    expect(badCredit()).toBe('9302');
    load((h) => t.send(h), terminal, 2, 5); // resets the try counter
    expect(badCredit()).toBe('9302');
    expect(badCredit()).toBe('9302');
    expect(badCredit()).toBe('9302');
    expect(t.send(terminal.initLoad(2, 5))).toBe('9303');
    expect(t.send(terminal.initPurchase(2, 5))).toBe('9303');
    expect(t.ok('805c000204')).toBe('000003ed'); // 10.00 + 0.05: reading still works
    const slot = t.se.registry.findApp(fromHex(AID), 0, 10);
    t.se.cardManager.load(slot);
    expect(t.se.cardManager.record[CM_STATUS]).toBe(CM_STATUS_LOCKED);
  });
});

describe('MAC tries on flash (JR/T 0025: the try is spent before the MAC is compared)', () => {
  /** A CREDIT FOR LOAD whose MAC2 is wrong. */
  const badCredit = (t: TestSe, terminal: PurseTerminal) => {
    const credit = terminal.credit(t.ok(terminal.initLoad(2, 5)), 5, 0x02, '20240316080000');
    return t.send(credit.slice(0, -10) + '0000000004');
  };
  /** The SE booted again on the same flash, the transit card selected. */
  const restart = (t: TestSe) => {
    const again = new TestSe(t.flash);
    again.ok(`00a404000a${AID}00`);
    return again;
  };
  const dataType = (t: TestSe) => REC_APP_DATA_BASE + t.se.registry.findApp(fromHex(AID), 0, 10);

  it('a wrong MAC costs one flash program and no commit, and the tries spent survive a restart: the third locks', async () => {
    const { t, terminal } = await transitCard();
    for (let i = 0; i < 2; i++) {
      const ops = t.flash.opCount;
      const programs = t.flash.programCount;
      expect(badCredit(t, terminal)).toBe('9302');
      expect(t.flash.opCount - ops).toBe(1);
      expect(t.flash.programCount - programs).toBe(1);
    }
    const after = restart(t);
    expect(after.send(terminal.initLoad(2, 5)).slice(-4)).toBe('9000');
    after.ok(`00a404000a${AID}00`);
    expect(badCredit(after, terminal)).toBe('9302');
    expect(after.send(terminal.initLoad(2, 5))).toBe('9303');
    const slot = after.se.registry.findApp(fromHex(AID), 0, 10);
    after.se.cardManager.load(slot);
    expect(after.se.cardManager.record[CM_STATUS]).toBe(CM_STATUS_LOCKED);
  });

  it('the tally renews itself inside transactions: after 40 debits two wrong MACs leave a try, the third locks', async () => {
    const { t, terminal, send } = await transitCard();
    for (let i = 0; i < 40; i++) purchase(send, terminal, 2, 1, (i + 1).toString(16).padStart(8, '0'));
    expect(t.se.store.tallySpent(dataType(t), REC_MAC_TALLY)).toBeLessThan(MAC_TALLY_LEN);
    expect(badCredit(t, terminal)).toBe('9302');
    expect(badCredit(t, terminal)).toBe('9302');
    const after = restart(t);
    expect(after.send(terminal.initPurchase(2, 1)).slice(-4)).toBe('9000');
    after.ok(`00a404000a${AID}00`);
    expect(badCredit(after, terminal)).toBe('9302');
    expect(after.send(terminal.initPurchase(2, 1))).toBe('9303');
  });

  it('a card installed before MAC tallies counts its tries in STATE, commit by commit, until its next transaction gives it a tally', async () => {
    const { t, terminal } = await transitCard();
    const type = dataType(t);
    t.se.store.begin();
    expect(t.se.store.remove(type, REC_MAC_TALLY)).toBe(true);
    expect(t.se.store.commit()).toBe(true);
    const old = restart(t);
    const state = new Uint8Array(STATE_LEN);
    expect(old.se.store.get(type, REC_STATE, state, 0)).toBe(STATE_LEN);
    const tries = state[ST_MAC_TRIES];
    const ops = old.flash.opCount;
    expect(badCredit(old, terminal)).toBe('9302');
    // STATE with a try fewer and its COMMIT pair, in one program (the store's pending records).
    expect(old.flash.opCount - ops).toBe(1);
    expect(old.se.store.get(type, REC_STATE, state, 0)).toBe(STATE_LEN);
    expect(state[ST_MAC_TRIES]).toBe(tries - 1);
    load((h) => old.send(h), terminal, 2, 5);
    expect(old.se.store.tallySpent(type, REC_MAC_TALLY)).toBe(0);
    const programs = old.flash.programCount;
    expect(badCredit(old, terminal)).toBe('9302');
    expect(old.flash.programCount - programs).toBe(1);
    expect(badCredit(old, terminal)).toBe('9302');
    expect(badCredit(old, terminal)).toBe('9302');
    expect(old.send(terminal.initLoad(2, 5))).toBe('9303');
  });
});
