/**
 * The second terminal's recharge orders on the terminal API (docs/terminal-api.md "Recharge
 * orders"): the till asks for an order to be paid from a third-party payment account, and reads,
 * loads or refunds it by its idempotency key. The platform checks the request with
 * RechargeOrderCreateSchema and answers RechargeOrder; the till reads the answer with its schema.
 */
import { z } from 'zod';
import { PAYER_CODE } from './payer-code';
import { amount, digits, fen, int, keyText, oneOf, wireBody } from './wire-schema';

/** POST /v1/terminal/recharge-orders: pay `amount` from `accountId`, once per idempotency key. */
export const RechargeOrderCreateSchema = wireBody({
  idempotencyKey: keyText,
  accountId: keyText,
  amount,
  /** The account holder's payment code; a retry of a paid order needs none. */
  payerCode: PAYER_CODE.optional(),
});
export type RechargeOrderCreate = z.output<typeof RechargeOrderCreateSchema>;

/** paid: no load yet; loading: a load is authorised, its card's answer not in; loaded: the card's TAC is in. */
export const ORDER_STATES = ['paid', 'loading', 'loaded', 'refunded'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** An order as its creator sees it; the load's fields are null until a load of it is authorised. */
export const RechargeOrderSchema = wireBody({
  idempotencyKey: keyText,
  /** The payment system's id of the charge. */
  paymentId: z.string(),
  accountId: keyText,
  amount,
  state: oneOf(ORDER_STATES),
  cardNumber: digits(20).nullable(),
  counter: int(0, 0xffff).nullable(),
  /** The card's load TAC as the ledger holds it (hex), once loaded. */
  tac: z.string().nullable(),
  balanceAfter: fen.nullable(),
});
export type RechargeOrder = z.output<typeof RechargeOrderSchema>;
