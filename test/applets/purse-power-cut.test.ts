/**
 * A power cut at every flash program/erase of CREDIT FOR LOAD and DEBIT FOR PURCHASE (MemoryFlash
 * cutAfter(n), then reboot() and a new SE boot on the same flash). Each time the card must hold the
 * old or the new purse, whole: balance, counter, log and card-manager record agree with each other,
 * money is neither created nor lost. When every write made it but the card left the field before
 * the answer did, GET TRANSACTION PROVE gives the terminal the MAC2/TAC it never received. Run on
 * a roomy store and on a small, busy one where the transaction's own commit compacts a page.
 */
import { describe, expect, it } from 'vitest';
import { readU31 } from '../../firmware/src/core/bytes';
import { fromHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { CM_BALANCE } from '../../firmware/src/core/se/card-manager';
import { MemoryFlash, PowerCutError } from '../../host/flash/memory-flash';
import { TestSe, cardPackage, installPackage } from './_harness';
import { PurseTerminal, load, purchase } from './_terminal';
import { checkStore } from '../../firmware/src/core/store/check';

const CARD_NUMBER = '31041000000000077777';
const AID = 'a00000063201010503e8';
const SELECT = `00a404000a${AID}00`;
const RANDOM = 'cafe0001';
const TERMINAL = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(CARD_NUMBER)));

interface Purse {
  balance: number;
  /** Online and offline counters, from INITIALIZE answers. */
  counters: string;
  log: string[];
  cmBalance: number;
}

function observe(t: TestSe): Purse {
  expect(checkStore(t.se.store)).toEqual({ ok: true, problems: [] });
  t.ok(SELECT);
  const balance = parseInt(t.ok('805c000204'), 16);
  const counters = t.ok(TERMINAL.initLoad(2, 1)).slice(8, 12) + t.ok(TERMINAL.initPurchase(2, 1)).slice(8, 12);
  t.ok(SELECT);
  const log: string[] = [];
  for (let n = 1; n <= 10; n++) {
    const r = t.send(`00b2${n.toString(16).padStart(2, '0')}c400`);
    if (r === '6a83') break;
    log.push(r.slice(0, -4));
  }
  const slot = t.se.registry.findApp(fromHex(AID), 0, 10);
  expect(t.se.cardManager.load(slot)).toBe(true);
  return { balance, counters, log, cmBalance: readU31(t.se.cardManager.record, CM_BALANCE) };
}

/** Balance implied by the log (it holds every transaction while there are at most 10). */
function logBalance(log: string[]): number {
  let sum = 0;
  for (const r of log) {
    const amount = parseInt(r.slice(10, 18), 16);
    sum += r.slice(18, 20) === '02' ? amount : -amount;
  }
  return sum;
}

/** A fresh card with 10.00 loaded, on a flash of `pages` pages. */
async function newCard(pages: number): Promise<TestSe> {
  const t = new TestSe(new MemoryFlash(pages));
  const { spec, file } = cardPackage({ app: 'transit', cardNumber: CARD_NUMBER, termsLength: 1500 });
  await installPackage(t.transmit, file, spec);
  t.ok(SELECT);
  load((h) => t.send(h), TERMINAL, 2, 1000);
  return t;
}

/** Runs op on a copy of image; returns the flash operations and erases it took. */
function trial(op: Op, pages: number, image: Uint8Array): { ops: number; erases: number } {
  const t = new TestSe(new MemoryFlash(pages, image));
  t.ok(SELECT);
  const p = op.prepare(t);
  const ops = t.flash.opCount;
  const erases = t.flash.eraseCount;
  t.ok(p.apdu);
  return { ops: t.flash.opCount - ops, erases: t.flash.eraseCount - erases };
}

/**
 * The card's image: roomy = right after the first load; busy = after as many small load/purchase
 * pairs as it takes for op's own commit to compact a page (erase), so the cuts hit compaction too.
 */
async function baseImage(op: Op, pages: number, busy: boolean): Promise<Uint8Array> {
  const t = await newCard(pages);
  const send = (h: string) => t.send(h);
  for (let i = 0; busy && i < 300; i++) {
    if (trial(op, pages, t.flash.snapshot()).erases > 0) return t.flash.snapshot();
    load(send, TERMINAL, 2, 3);
    purchase(send, TERMINAL, 2, 3);
  }
  expect(busy, 'no history made the operation compact the store').toBe(false);
  return t.flash.snapshot();
}

interface Op {
  name: string;
  /** INITIALIZE answered; returns the APDU whose flash writes are cut, and the proof expected back. */
  prepare(t: TestSe): { apdu: string; txType: string; counter: string; amount: number };
}

const CREDIT: Op = {
  name: 'CREDIT FOR LOAD 50.00',
  prepare(t) {
    t.random.push(RANDOM);
    const init = t.ok(TERMINAL.initLoad(2, 5000));
    return { apdu: TERMINAL.credit(init, 5000, 0x02, '20240401090000'), txType: '02', counter: init.slice(8, 12), amount: 5000 };
  },
};

const DEBIT: Op = {
  name: 'DEBIT FOR PURCHASE 2.00',
  prepare(t) {
    t.random.push(RANDOM);
    const init = t.ok(TERMINAL.initPurchase(2, 200));
    return { apdu: TERMINAL.debit(init, '0000002a', 200, 0x06, '20240401091500'), txType: '06', counter: init.slice(8, 12), amount: -200 };
  },
};

async function cutEverywhere(op: Op, pages: number, busy: boolean) {
  const image = await baseImage(op, pages, busy);
  const before = observe(new TestSe(new MemoryFlash(pages, image)));
  // The uncut run: how many flash operations, what the card answers, the state after.
  const whole = new TestSe(new MemoryFlash(pages, image));
  whole.ok(SELECT);
  const p = op.prepare(whole);
  const ops0 = whole.flash.opCount;
  const answer = whole.ok(p.apdu);
  const total = whole.flash.opCount - ops0;
  const after = observe(new TestSe(whole.flash));
  expect(after.balance).toBe(before.balance + p.amount);
  // The MAC try (a one-byte program), then the purse, log and card-manager records with their
  // COMMIT pair in one program (more when the commit opens or compacts a page).
  expect(total).toBeGreaterThanOrEqual(2);
  const proof = p.txType === '02' ? '' : answer.slice(8, 16) + answer.slice(0, 8); // MAC2 || TAC
  const seen = { old: 0, new: 0 };

  // n = total: every write made it, but the card left the field before the terminal got the answer.
  for (let n = 0; n <= total; n++) {
    const flash = new MemoryFlash(pages, image);
    const t = new TestSe(flash);
    t.ok(SELECT);
    const q = op.prepare(t);
    expect(q.apdu).toBe(p.apdu);
    flash.cutAfter(n);
    if (n < total) expect(() => t.send(q.apdu), `cut after ${n} of ${total}`).toThrow(PowerCutError);
    else expect(t.send(q.apdu)).toBe(answer + '9000');
    flash.reboot();
    const r = new TestSe(flash);
    const now = observe(r);
    expect(now.cmBalance, `card manager after cut ${n}`).toBe(now.balance);
    if (now.balance === before.balance) {
      seen.old++;
      expect(now, `old purse after cut ${n}`).toEqual(before);
      expect(r.send(`805a00${p.txType}02${p.counter}08`)).toBe('9406');
    } else {
      seen.new++;
      expect(now, `new purse after cut ${n}`).toEqual(after);
      const recovered = r.ok(`805a00${p.txType}02${p.counter}08`);
      if (proof !== '') expect(recovered).toBe(proof);
      else expect(recovered.slice(8)).toBe(answer); // a load: the TAC it answered
    }
    if (!busy) expect(logBalance(now.log)).toBe(now.balance);
    // The purse still works after the cut (no stuck session, try counter not exhausted).
    const send = (h: string) => r.send(h);
    load(send, TERMINAL, 2, 1);
    expect(parseInt(r.ok('805c000204'), 16)).toBe(now.balance + 1);
  }
  // Every torn write, the COMMIT record's included, leaves the old purse; only a whole commit shows the new one.
  expect(seen).toEqual({ old: total, new: 1 });
  return total;
}

describe('power cut at every flash write of a purse transaction', () => {
  for (const op of [CREDIT, DEBIT]) {
    it(`${op.name}: old or new purse, never a mix (roomy store)`, async () => {
      await cutEverywhere(op, 64, false);
    });

    it(`${op.name}: old or new purse while its commit compacts a small store`, async () => {
      await cutEverywhere(op, 4, true);
    });
  }
});
