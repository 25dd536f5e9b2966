/**
 * The merchant loyalty card through its own commands: GET POINTS, EARN, REDEEM, ADD/USE COUPON and
 * GET COUPONS, each authorised by the merchant server's MAC over the card counter (so no replay),
 * answered with the card's receipt MAC, and mirrored in the card manager.
 */
import { describe, expect, it } from 'vitest';
import { readU16, readU31 } from '../../firmware/src/core/bytes';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { MerchantMac } from '../../firmware/src/core/applets/loyalty/merchant-mac';
import { deriveLoyaltyKey } from '../../firmware/src/core/package/card-keys';
import { devMerchantMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { CM_BALANCE, CM_LAST_AMOUNT, CM_LAST_COUNTER, CM_LAST_TYPE, CM_STATUS, CM_STATUS_LOCKED } from '../../firmware/src/core/se/card-manager';
import { TestSe, cardPackage, installPackage } from './_harness';

const CARD_NUMBER = '88000000000000000042';
/** F0 'TAPC' 'LY' issuer 0x01F4 (500). */
const AID = 'f0544150434c5901f4';
const TERMINAL = '0a0b0c0d0e0f';
const WHEN = '20240320183000';
const EARN = 0x30;
const REDEEM = 0x32;
const ADD_COUPON = 0x34;
const USE_COUPON = 0x36;

/** The merchant server: derives the card key from the merchant master key and MACs commands. */
class MerchantServer {
  private readonly mac = new MerchantMac(new SoftAes());
  private readonly key = deriveLoyaltyKey(devMerchantMasterKeys(), fromHex(CARD_NUMBER));

  command(ins: number, value: number, counter: number): string {
    const out = new Uint8Array(8);
    this.mac.authorisation(this.key, 0, ins, value, counter, fromHex(TERMINAL), 0, fromHex(WHEN), 0, out, 0);
    const v = value.toString(16).padStart(8, '0');
    return `80${ins.toString(16)}000019${v}${TERMINAL}${WHEN}${toHex(out)}`;
  }

  receipt(ins: number, value: number, counter: number, points: number): string {
    const out = new Uint8Array(8);
    this.mac.receipt(this.key, 0, ins, value, counter, points, fromHex(TERMINAL), 0, fromHex(WHEN), 0, out, 0);
    return toHex(out);
  }
}

async function loyaltyCard() {
  const t = new TestSe();
  const { spec, file } = cardPackage({ app: 'loyalty', issuerId: 500, cardNumber: CARD_NUMBER, ceiling: 10000 });
  expect(toHex(spec.instanceAid)).toBe(AID);
  await installPackage(t.transmit, file, spec);
  const fci = t.ok(`00a4040009${AID}00`);
  expect(fci).toContain('5a0a' + CARD_NUMBER);
  const server = new MerchantServer();
  /** Runs one operation at the card's current counter; checks the receipt; returns the new points. */
  const operate = (ins: number, value: number): number => {
    const [points, counter] = status(t);
    const r = t.ok(server.command(ins, value, counter));
    const newPoints = parseInt(r.slice(0, 8), 16);
    expect(r.slice(8, 12)).toBe((counter + 1).toString(16).padStart(4, '0'));
    expect(r.slice(12)).toBe(server.receipt(ins, value, counter + 1, newPoints));
    expect(newPoints === points || ins === EARN || ins === REDEEM).toBe(true);
    return newPoints;
  };
  return { t, server, operate };
}

function status(t: TestSe): [number, number] {
  const r = t.ok('805c000006');
  return [parseInt(r.slice(0, 8), 16), parseInt(r.slice(8, 12), 16)];
}

function cardManager(t: TestSe) {
  const slot = t.se.registry.findApp(fromHex(AID), 0, 9);
  t.se.cardManager.load(slot);
  return t.se.cardManager.record;
}

describe('merchant loyalty card', () => {
  it('earns and redeems points on merchant MACs; the card manager follows', async () => {
    const { t, operate } = await loyaltyCard();
    expect(status(t)).toEqual([0, 0]);
    expect(operate(EARN, 120)).toBe(120);
    expect(operate(REDEEM, 45)).toBe(75);
    expect(status(t)).toEqual([75, 2]);
    const cm = cardManager(t);
    expect(readU31(cm, CM_BALANCE)).toBe(75);
    expect(cm[CM_LAST_TYPE]).toBe(REDEEM);
    expect(readU31(cm, CM_LAST_AMOUNT)).toBe(45);
    expect(readU16(cm, CM_LAST_COUNTER)).toBe(1);
  });

  it('refuses a replayed EARN (9302), a REDEEM beyond the points (9401), an EARN past the ceiling (6A80), with no change', async () => {
    const { t, server, operate } = await loyaltyCard();
    const earn = server.command(EARN, 50, 0);
    t.ok(earn);
    expect(t.send(earn)).toBe('9302');
    expect(t.send(server.command(REDEEM, 51, 1))).toBe('9401');
    expect(t.send(server.command(EARN, 9951, 1))).toBe('6a80');
    // An EARN MAC does not authorise a REDEEM of the same value.
    expect(t.send(server.command(EARN, 10, 1).replace(/^8030/, '8032'))).toBe('9302');
    expect(status(t)).toEqual([50, 1]);
    expect(operate(EARN, 9950)).toBe(10000);
  });

  it('issues, lists and uses coupons', async () => {
    const { t, server, operate } = await loyaltyCard();
    operate(ADD_COUPON, 0x1001);
    operate(ADD_COUPON, 0x2002);
    expect(t.ok('8038000000')).toBe('00001001' + '20240320' + '00002002' + '20240320');
    expect(t.send(server.command(ADD_COUPON, 0x1001, 2))).toBe('6a80');
    operate(USE_COUPON, 0x1001);
    expect(t.ok('8038000000')).toBe('00002002' + '20240320');
    expect(t.send(server.command(USE_COUPON, 0x1001, 3))).toBe('6a88');
    expect(status(t)).toEqual([0, 3]);
  });

  it('locks after three bad MACs in a row (9303), shown in the card manager', async () => {
    const { t, server } = await loyaltyCard();
    const bad = server.command(EARN, 10, 0).slice(0, -2) + '00';
    for (let i = 0; i < 3; i++) expect(t.send(bad)).toBe('9302');
    expect(t.send(server.command(EARN, 10, 0))).toBe('9303');
    expect(status(t)).toEqual([0, 0]);
    expect(cardManager(t)[CM_STATUS]).toBe(CM_STATUS_LOCKED);
  });

  it('answers 6700 / 6A86 / 6D00 / 6E00 to malformed commands', async () => {
    const { t } = await loyaltyCard();
    expect(t.send('8030000004000000')).toBe('6700');
    expect(t.send('805c010006')).toBe('6a86');
    expect(t.send('80aa000000')).toBe('6d00');
    expect(t.send('00b0950000')).toBe('6e00');
  });
});
