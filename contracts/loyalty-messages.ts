/**
 * The fourth terminal's loyalty messages on the terminal API (docs/terminal-api.md "Merchant
 * loyalty"), one schema per message: the till encodes its requests with them
 * (pos-sim/src/loyalty/loyalty-pos.ts), the platform checks and decodes them and answers with
 * theirs. On the wire bytes are hex; the card number stays its 20 digits.
 */
import { z } from 'zod';
import { LOYALTY_MAC_LEN } from '../firmware/src/core/applets/loyalty/merchant-mac';
import { amount, digits, fen, hexBytes, int, oneOf, wireBody } from './wire-schema';

export const LOYALTY_OPERATIONS = ['earn', 'redeem', 'coupon-add', 'coupon-use'] as const;
export type LoyaltyOperation = (typeof LOYALTY_OPERATIONS)[number];

/** What the till read from the card (GET POINTS) and the change it asks for. */
const loyaltyFields = {
  cardNumber: digits(20),
  operation: oneOf(LOYALTY_OPERATIONS),
  counter: int(0, 0xfffe),
  points: fen,
  terminalId: hexBytes(6),
  /** 7 bytes BCD YYYYMMDDhhmmss. */
  dateTime: hexBytes(7),
};

/**
 * POST merchant/authorise: an earn names purchaseAmount (the merchant server decides the points),
 * any other operation its value (points or coupon id). The answer is the value and its MAC.
 */
export const LoyaltyAuthoriseSchema = wireBody({ ...loyaltyFields, value: amount.optional(), purchaseAmount: amount.optional() });
export const LoyaltyAuthorisedSchema = wireBody({ value: amount, mac: hexBytes(LOYALTY_MAC_LEN) });

/** POST merchant/confirm: what the card answered, points and counter after the change and its receipt. */
export const LoyaltyConfirmSchema = wireBody({
  ...loyaltyFields,
  value: amount,
  newPoints: fen,
  newCounter: int(1, 0xffff),
  receipt: hexBytes(8),
});
/** verified false: the receipt is not the card's. */
export const LoyaltyConfirmedSchema = wireBody({ verified: z.boolean() });

/** POST merchant/settle: the card's counter; the answer lists the changes an earlier tap left open that are now settled. */
export const LoyaltySettleSchema = wireBody({ cardNumber: digits(20), counter: int(0, 0xffff) });
export const LoyaltySettledSchema = wireBody({
  settled: z.array(z.object({ operation: z.string(), value: z.number(), counter: z.number(), pointsAfter: z.number().nullable() })),
});
export type SettledChange = z.output<typeof LoyaltySettledSchema>['settled'][number];
