/**
 * pos-sim in direct mode: pos-sim listens as the vpcd reader and the SE connects
 * to it as the card. Read, recharge 50.00, debit 2.00, balance 48.00 and a log showing both; a
 * declined debit; the card leaving the field mid-debit, settled on the next tap with GET
 * TRANSACTION PROVE (no money lost, none taken twice).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import type { SecureElement } from '../../firmware/src/core/se/secure-element';
import { SeCardDevice } from '../../host/se/virtual-se';
import type { CardDevice } from '../../host/vpcd/card-device';
import { CardRemovedError } from '../../host/vpcd/errors';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { DirectReader } from '../../pos-sim/src/reader/direct-reader';
import { DevKeysSecurityModule } from '../../parties/purse-security-module';
import { NoTransitApplicationError } from '../../pos-sim/src/purse/errors';
import { PurseDeclinedError } from '../../contracts/purse-errors';
import { MemoryJournal } from '../../pos-sim/src/purse/journal';
import { TransitPos } from '../../pos-sim/src/purse/transit-pos';
import { PurseTerminal } from '../applets/_terminal';
import { CardLeavingAtDebit, CARD_NUMBER, TRANSIT_APP_AID, transitSe } from './_transit-se';

/** pos-sim's default terminal id (transit-pos.ts DEFAULT_TERMINAL_ID). */
const TERMINAL_ID = '504F53000001';
const WHEN = new Date(2024, 2, 15, 12, 30, 0);
const WHEN_BCD = '20240315123000';
/** The card's own issuer side, to check the TACs the POS got independently of the POS's security module. */
const issuer = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER)));

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function direct(): Promise<{ reader: DirectReader; pos: TransitPos; journal: MemoryJournal; tap(card: CardDevice): VpcdCardClient }> {
  const reader = await DirectReader.listen(0);
  const clients: VpcdCardClient[] = [];
  cleanups.push(async () => {
    for (const c of clients) await c.stop();
    await reader.close();
  });
  const journal = new MemoryJournal();
  const pos = new TransitPos({ reader, securityModule: new DevKeysSecurityModule(), journal, clock: () => WHEN });
  const tap = (card: CardDevice): VpcdCardClient => {
    const client = new VpcdCardClient({ host: '127.0.0.1', port: reader.boundPort, card, reconnectMs: 20 });
    clients.push(client);
    client.start();
    return client;
  };
  return { reader, pos, journal, tap };
}

/** Balance 48.00 after a 50.00 load and a 2.00 debit; `card` can be armed to leave mid-debit. */
async function fundedCard(): Promise<{ se: SecureElement; pos: TransitPos; journal: MemoryJournal; tap(card: CardDevice): VpcdCardClient; card: CardLeavingAtDebit; client: VpcdCardClient }> {
  const se = await transitSe();
  const d = await direct();
  const card = new CardLeavingAtDebit(se);
  const client = d.tap(card);
  await d.pos.recharge(5000);
  await d.pos.debit(200);
  return { se, pos: d.pos, journal: d.journal, tap: d.tap, card, client };
}

describe('pos-sim direct mode (vpcd reader) against the SE', () => {
  it('reads the card, recharges 50.00, debits 2.00: balance 48.00, log shows both, TACs verify', async () => {
    const se = await transitSe();
    const { pos, tap } = await direct();
    tap(new SeCardDevice(se));

    const before = await pos.read();
    expect(before).toMatchObject({ cardNumber: CARD_NUMBER, aid: TRANSIT_APP_AID, validFrom: '2024-01-01', validTo: '2029-12-31', balance: 0, log: [], recovered: null });
    expect(before.atr).toBe('3B8A8001544150434152442D534561');

    const load = await pos.recharge(5000);
    expect(load).toMatchObject({ kind: 'load', balanceBefore: 0, balanceAfter: 5000, counter: 0, terminalId: TERMINAL_ID });
    expect(load.tac).toBe(issuer.loadTac(5000, 0, 5000, 0x02, WHEN_BCD, TERMINAL_ID).toUpperCase());

    const debit = await pos.debit(200);
    expect(debit).toMatchObject({ kind: 'purchase', balanceBefore: 5000, balanceAfter: 4800, counter: 0, terminalSerial: '00000001' });
    expect(debit.tac).toBe(issuer.purchaseProof('00000001', 200, 0x06, WHEN_BCD, TERMINAL_ID).slice(0, 8).toUpperCase());

    const after = await pos.read();
    expect(after.balance).toBe(4800);
    expect(after.log).toEqual([
      { counter: 0, amount: 200, type: 0x06, kind: 'purchase', terminalId: TERMINAL_ID, dateTime: '2024-03-15 12:30:00' },
      { counter: 0, amount: 5000, type: 0x02, kind: 'load', terminalId: TERMINAL_ID, dateTime: '2024-03-15 12:30:00' },
    ]);
  });

  it('declines a debit over the balance (9401) and changes nothing', async () => {
    const { pos } = await fundedCard();
    const err = await pos.debit(4801).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PurseDeclinedError);
    expect((err as PurseDeclinedError).sw).toBe(0x9401);
    const r = await pos.read();
    expect(r.balance).toBe(4800);
    expect(r.log).toHaveLength(2);
  });

  it('card leaves after committing the debit: typed error, the next tap proves it once (GET TRANSACTION PROVE)', async () => {
    const { se, pos, journal, tap, card, client } = await fundedCard();
    card.arm('after', () => void client.stop());
    const err = await pos.debit(300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardRemovedError);
    expect(await journal.pending(CARD_NUMBER)).toMatchObject({ kind: 'purchase', amount: 300, counter: 1 });

    tap(new SeCardDevice(se));
    const r = await pos.read();
    expect(r.recovered).toMatchObject({ kind: 'purchase', amount: 300, outcome: 'completed', evidence: 'prove' });
    expect(r.recovered!.tac).toBe(issuer.purchaseProof('00000002', 300, 0x06, WHEN_BCD, TERMINAL_ID).slice(0, 8).toUpperCase());
    expect(r.balance).toBe(4500);
    expect(r.log.map((l) => l.amount)).toEqual([300, 200, 5000]);
    expect(await journal.pending(CARD_NUMBER)).toBeNull();

    // Settled: the next tap recovers nothing and debits normally.
    const next = await pos.debit(100);
    expect(next).toMatchObject({ recovered: null, balanceBefore: 4500, balanceAfter: 4400 });
  });

  it('card leaves before the debit reaches it: the next tap finds it never happened, no money taken', async () => {
    const { se, pos, tap, card, client } = await fundedCard();
    card.arm('before', () => void client.stop());
    await expect(pos.debit(300)).rejects.toBeInstanceOf(CardRemovedError);

    tap(new SeCardDevice(se));
    const r = await pos.read();
    expect(r.recovered).toMatchObject({ kind: 'purchase', amount: 300, outcome: 'not-done', evidence: 'none', tac: null });
    expect(r.balance).toBe(4800);
    expect(r.log).toHaveLength(2);
  });

  it('a card without a transit application is a typed not-found', async () => {
    const se = await transitSe(false);
    const { pos, tap } = await direct();
    tap(new SeCardDevice(se));
    await expect(pos.read()).rejects.toBeInstanceOf(NoTransitApplicationError);
  });
});
