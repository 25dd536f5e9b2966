/**
 * The purse transactions as the terminal API carries them (docs/terminal-api.md "Purse
 * transactions"), one schema per message: the POS encodes its requests with them
 * (pos-sim/src/online/online-security-module.ts), the platform checks and decodes them, and each
 * answer the same way back. On the wire bytes are hex and the card number its 20 digits; decoded
 * they are the PurchaseRequest / LoadRequest the purse security module works on
 * (purse-security-module.ts).
 */
import { z } from 'zod';
import { amount, bcdDigits, byte, fen, hexBytes, int, keyText, wireBody } from './wire-schema';
import { PAYER_CODE } from './payer-code';

const counter = int(0, 0xffff);
const mac = hexBytes(4);

const purseFields = {
  /** 10 bytes BCD, from SFI 15: the keys are diversified over it. */
  cardNumber: bcdDigits(20),
  keyIndex: byte,
  keyVersion: byte,
  algorithm: byte,
  amount,
  /** TX_EP_PURCHASE (06) / TX_ED_PURCHASE (05), TX_EP_LOAD (02) / TX_ED_LOAD (01). */
  txType: byte,
  terminalId: hexBytes(6),
  /** The card's 4-byte random from INITIALIZE FOR PURCHASE / LOAD. */
  random: hexBytes(4),
  /** 7 bytes BCD YYYYMMDDhhmmss. */
  dateTime: hexBytes(7),
};

/** What the card and the terminal agreed for a purchase (INITIALIZE FOR PURCHASE + DEBIT data). */
export const PurchaseRequestSchema = wireBody({
  ...purseFields,
  offlineCounter: counter,
  /** 4-byte terminal transaction serial. */
  terminalSerial: hexBytes(4),
});
export type PurchaseRequest = z.output<typeof PurchaseRequestSchema>;

/** What the card and the terminal agreed for a load (INITIALIZE FOR LOAD + CREDIT data). */
export const LoadRequestSchema = wireBody({
  ...purseFields,
  /** Balance before the load, as INITIALIZE FOR LOAD answered it. */
  balance: fen,
  onlineCounter: counter,
});
export type LoadRequest = z.output<typeof LoadRequestSchema>;

/** POST {issuer}/purchase/authorise: the purchase -> its MAC1. */
export const PurchaseAuthoriseSchema = PurchaseRequestSchema;
export const PurchaseAuthorisedSchema = wireBody({ mac1: mac });

/** POST {issuer}/purchase/confirm: the purchase and the card's answer to DEBIT FOR PURCHASE. */
export const PurchaseConfirmSchema = wireBody({ ...PurchaseRequestSchema.shape, tac: mac, mac2: mac });
/** verified false: the card's answer is not genuine. */
export const PurchaseConfirmedSchema = wireBody({ verified: z.boolean(), tac: mac.optional() });

/**
 * POST {issuer}/load/authorise: the load with the card's MAC1 and how it is paid: nothing (cash,
 * first terminal), orderId (a paid recharge order, second terminal) or accountId with the account
 * holder's payerCode (bank deposit, third terminal).
 */
export const LoadAuthoriseSchema = wireBody({
  ...LoadRequestSchema.shape,
  mac1: mac,
  orderId: keyText.optional(),
  accountId: keyText.optional(),
  payerCode: PAYER_CODE.optional(),
});
export const LoadAuthorisedSchema = wireBody({ mac2: mac });

/** POST {issuer}/load/confirm: the load and the card's TAC. */
export const LoadConfirmSchema = wireBody({ ...LoadRequestSchema.shape, tac: mac });
export const LoadConfirmedSchema = wireBody({
  verified: z.boolean(),
  tac: mac.optional(),
  orderId: keyText.nullable().optional(),
  balanceAfter: fen.nullable().optional(),
});

/** POST {issuer}/load/release: a fresh INITIALIZE FOR LOAD's MAC1, the card's proof that its online counter has not moved. */
export const LoadReleaseSchema = wireBody({ ...LoadRequestSchema.shape, mac1: mac, orderId: keyText.optional() });
export const LoadReleasedSchema = wireBody({ released: z.boolean(), counter, amount: amount.nullable(), orderId: keyText.nullable() });
