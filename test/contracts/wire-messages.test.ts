/**
 * The terminal API's messages as the contracts define them: what the POS encodes the platform
 * decodes to the same transaction, and a body that does not fit is refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { LoadAuthoriseSchema, PurchaseConfirmSchema, PurchaseRequestSchema, type PurchaseRequest } from '../../contracts/purse-messages';
import { LoyaltyAuthoriseSchema } from '../../contracts/loyalty-messages';
import { RechargeOrderCreateSchema } from '../../contracts/recharge-order-messages';
import { encodeWire, parseWire, ValidationError } from '../../contracts/wire-schema';
import { fromHex } from '../../firmware/src/core/hex';

const purchase: PurchaseRequest = {
  cardNumber: fromHex('31000100000000000042'), keyIndex: 1, keyVersion: 1, algorithm: 0, amount: 200, txType: 6,
  terminalId: fromHex('000000000001'), random: fromHex('a1b2c3d4'), dateTime: fromHex('20261204030000'), offlineCounter: 7, terminalSerial: fromHex('00000001'),
};

function refusal(schema: Parameters<typeof parseWire>[0], body: unknown): string {
  try {
    parseWire(schema, body);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('wire messages', () => {
  it('a purchase encodes to hex and digits and decodes to the same bytes; upper-case hex is read too', () => {
    const json = encodeWire(PurchaseRequestSchema, purchase);
    expect(json).toMatchObject({ cardNumber: '31000100000000000042', random: 'a1b2c3d4', dateTime: '20261204030000', amount: 200 });
    expect(parseWire(PurchaseRequestSchema, JSON.parse(JSON.stringify(json)))).toEqual(purchase);
    expect(parseWire(PurchaseRequestSchema, { ...json, random: 'A1B2C3D4' }).random).toEqual(purchase.random);
  });

  it('names the first bad field: unknown, missing, malformed, out of range', () => {
    const json = encodeWire(PurchaseRequestSchema, purchase);
    const confirm = { ...json, tac: '01020304', mac2: '05060708' };
    expect(refusal(PurchaseConfirmSchema, { ...confirm, extra: 1 })).toBe('extra: unknown field');
    expect(refusal(PurchaseConfirmSchema, { ...confirm, tac: undefined })).toBe('tac: missing');
    expect(refusal(PurchaseConfirmSchema, { ...confirm, tac: null })).toBe('tac: missing');
    expect(refusal(PurchaseConfirmSchema, { ...confirm, mac2: '0506070' })).toBe('mac2: expected 4 bytes as hex, got "0506070"');
    expect(refusal(PurchaseConfirmSchema, { ...confirm, cardNumber: '3100010000000000004a' })).toBe('cardNumber: expected 20 digits, got "3100010000000000004a"');
    expect(refusal(PurchaseConfirmSchema, { ...confirm, amount: 0 })).toBe('amount: expected an integer 1..2147483647, got 0');
    expect(refusal(PurchaseConfirmSchema, { ...confirm, offlineCounter: 1.5 })).toBe('offlineCounter: expected an integer 0..65535, got 1.5');
    expect(refusal(PurchaseConfirmSchema, [confirm])).toBe('body: expected a JSON object');
    expect(refusal(LoyaltyAuthoriseSchema, { operation: 'steal' })).toBe('cardNumber: missing');
    expect(refusal(RechargeOrderCreateSchema, { idempotencyKey: 'k 1', accountId: 'alice', amount: 1 })).toBe(
      'idempotencyKey: expected text of 1..100 characters matching /^[A-Za-z0-9._:-]+$/, got "k 1"',
    );
  });

  it('an optional field sent as null is absent', () => {
    const load = { ...encodeWire(PurchaseRequestSchema, purchase), offlineCounter: undefined, terminalSerial: undefined, balance: 0, onlineCounter: 3, mac1: '01020304' };
    const body = JSON.parse(JSON.stringify({ ...load, orderId: null, accountId: 'bob', payerCode: null }));
    const parsed = parseWire(LoadAuthoriseSchema, body);
    expect(parsed.orderId).toBeUndefined();
    expect(parsed.payerCode).toBeUndefined();
    expect(parsed.accountId).toBe('bob');
  });
});
