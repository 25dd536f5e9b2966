/**
 * The purse's files as a transit reader reads them (JT/T 978 T-Union files): SFI 18 is a cyclic log that
 * keeps the newest 10 records, SFI 15 reads by offset and Le, GET BALANCE P1 01 (negative
 * balance) is zero.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { TestSe, cardPackage, installPackage } from './_harness';
import { PurseTerminal, load, purchase } from './_terminal';

const CARD_NUMBER = '31041000000000099999';

async function card() {
  const t = new TestSe();
  const { spec, file } = cardPackage({ app: 'transit', cardNumber: CARD_NUMBER, termsLength: 0 });
  await installPackage(t.transmit, file, spec);
  t.ok('00a404000aa00000063201010503e800');
  return { t, terminal: new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER))) };
}

describe('purse files', () => {
  it('SFI 18 keeps the newest 10 of 12 transactions, newest first, with their counters', async () => {
    const { t, terminal } = await card();
    const send = (h: string) => t.send(h);
    for (let i = 0; i < 6; i++) {
      load(send, terminal, 2, 100 + i);
      purchase(send, terminal, 2, 10 + i, `0000000${i}`);
    }
    const records = [];
    for (let n = 1; n <= 10; n++) records.push(t.ok(`00b2${n.toString(16).padStart(2, '0')}c400`));
    expect(t.send('00b20bc400')).toBe('6a83');
    expect(t.send('00b200c400')).toBe('6a83');
    // Newest: purchase 5 (offline counter 0005, amount 15, type 06); oldest kept: load 1 (online 0001, amount 101).
    expect(records[0].slice(0, 4) + records[0].slice(10, 20)).toBe('0005' + '0000000f' + '06');
    expect(records[9].slice(0, 4) + records[9].slice(10, 20)).toBe('0001' + '00000065' + '02');
    expect(records.every((r) => r.length === 46)).toBe(true);
    expect(t.send('00b201cc00')).toBe('6a82'); // SFI 19: no such file
    expect(t.send('00b2010400')).toBe('6a82'); // no SFI given
  });

  it('SFI 15: 30 bytes of public information, readable by offset and Le', async () => {
    const { t } = await card();
    const all = t.ok('00b0950000');
    expect(all.length).toBe(60);
    expect(all.slice(0, 16)).toBe('03e8000000000000'); // issuer data
    expect(all.slice(16, 20)).toBe('0101'); // application type transit, version 1
    expect(all.slice(20, 40)).toBe(CARD_NUMBER);
    expect(all.slice(40, 56)).toBe('2024010120291231');
    expect(t.ok('00b0950a0a')).toBe(CARD_NUMBER);
    expect(t.send('00b0951e00')).toBe('6b00');
    expect(t.send('00b0960000')).toBe('6a82');
    expect(t.send('00b0000000')).toBe('6986');
  });

  it('GET BALANCE: P1 00 the balance, P1 01 the negative balance (always 0), others 6A86', async () => {
    const { t, terminal } = await card();
    load((h) => t.send(h), terminal, 2, 777);
    expect(t.ok('805c000204')).toBe('00000309');
    expect(t.ok('805c010204')).toBe('00000000');
    expect(t.send('805c020204')).toBe('6a86');
  });
});
