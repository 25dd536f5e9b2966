/**
 * The fourth terminal's POS (ARCHITECTURE.md flow 6): earn and redeem points, add and use
 * coupons on a merchant loyalty card, each change authorised by the merchant server through the
 * platform (docs/terminal-api.md "Merchant"):
 *
 *   SELECT -> GET POINTS -> POST merchant/settle (open changes the card's counter shows done)
 *   -> POST merchant/authorise (the server's MAC over value, counter, terminal, date-time)
 *   -> EARN/REDEEM/ADD/USE COUPON -> POST merchant/confirm (the card's receipt)
 *
 * A card that leaves before answering: the next tap's settle confirms the change if the card's
 * counter moved past it; otherwise this terminal's next authorisation at that counter replaces it.
 */
import { toHex } from '../../../firmware/src/core/hex';
import { SW } from '../../../firmware/src/core/sw';
import { checkSw, splitResponse } from '../../../contracts/check-sw';
import { CardError } from '../../../contracts/card-errors';
import type { Reader } from '../reader/reader';
import { CardProofError, PurseDeclinedError } from '../../../contracts/purse-errors';
import { bcdDateTime } from '../purse/money';
import { DEFAULT_CARD_TIMEOUT_MS, DEFAULT_TERMINAL_ID } from '../purse/transit-pos';
import { buildSelect } from '../purse/purse-apdus';
import type { PlatformClient } from '../online/platform-client';
import { killPoint } from '../../../contracts/kill-point';
import {
  LoyaltyAuthoriseSchema, LoyaltyAuthorisedSchema, LoyaltyConfirmSchema, LoyaltyConfirmedSchema, LoyaltySettleSchema, LoyaltySettledSchema,
  type LoyaltyOperation, type SettledChange,
} from '../../../contracts/loyalty-messages';
import { buildGetCoupons, buildGetPoints, buildOperation, LOYALTY_AID_PREFIX, parseCoupons, parseLoyaltySelect, parseOperation, parsePoints } from './loyalty-apdus';

/** The card in the field has no loyalty application (SELECT answered 6A82). */
export class NoLoyaltyApplicationError extends Error {
  readonly code = 'NOT_FOUND';

  constructor() {
    super('no loyalty application on the card (SELECT answered 6A82)');
    this.name = 'NoLoyaltyApplicationError';
  }
}

const INS: Record<LoyaltyOperation, number> = { earn: 0x30, redeem: 0x32, 'coupon-add': 0x34, 'coupon-use': 0x36 };

export interface LoyaltyResult {
  reader: string;
  cardNumber: string;
  operation: LoyaltyOperation;
  /** Points (earn, redeem) or coupon id. */
  value: number;
  pointsBefore: number;
  pointsAfter: number;
  counter: number;
  receipt: string;
  /** Changes an earlier tap left open that this tap settled. */
  settled: SettledChange[];
}

export interface LoyaltyReading {
  reader: string;
  cardNumber: string;
  points: number;
  counter: number;
  coupons: { id: number; issued: string }[];
  settled: SettledChange[];
}

export interface LoyaltyPosOptions {
  reader: Reader;
  client: PlatformClient;
  terminalId?: Uint8Array;
  clock?: () => Date;
}

export class LoyaltyPos {
  private readonly terminalId: Uint8Array;
  private readonly clock: () => Date;

  constructor(private readonly o: LoyaltyPosOptions) {
    this.terminalId = o.terminalId ?? DEFAULT_TERMINAL_ID;
    this.clock = o.clock ?? (() => new Date());
  }

  /** Points for a purchase of `purchaseAmount` fen, as many as the merchant server's rule gives. */
  earn(purchaseAmount: number, timeoutMs?: number): Promise<LoyaltyResult> {
    return this.operate('earn', { purchaseAmount }, timeoutMs);
  }

  redeem(points: number, timeoutMs?: number): Promise<LoyaltyResult> {
    return this.operate('redeem', { value: points }, timeoutMs);
  }

  addCoupon(id: number, timeoutMs?: number): Promise<LoyaltyResult> {
    return this.operate('coupon-add', { value: id }, timeoutMs);
  }

  useCoupon(id: number, timeoutMs?: number): Promise<LoyaltyResult> {
    return this.operate('coupon-use', { value: id }, timeoutMs);
  }

  read(timeoutMs = DEFAULT_CARD_TIMEOUT_MS): Promise<LoyaltyReading> {
    return this.session(timeoutMs, async (card, status, settled) => {
      const coupons = parseCoupons(checkSw(await this.o.reader.transmit(buildGetCoupons()), 'GET COUPONS').data);
      return { reader: this.o.reader.name, cardNumber: card, points: status.points, counter: status.counter, coupons, settled };
    });
  }

  private operate(operation: LoyaltyOperation, ask: { value?: number; purchaseAmount?: number }, timeoutMs = DEFAULT_CARD_TIMEOUT_MS): Promise<LoyaltyResult> {
    return this.session(timeoutMs, async (cardNumber, status, settled) => {
      const dateTime = bcdDateTime(this.clock());
      const request = { cardNumber, operation, counter: status.counter, points: status.points, terminalId: this.terminalId, dateTime };
      const auth = await this.o.client.exchange('/v1/terminal/merchant/authorise', LoyaltyAuthoriseSchema, { ...request, ...ask }, LoyaltyAuthorisedSchema);
      killPoint('pos.after-authorise');
      const r = splitResponse(await this.o.reader.transmit(buildOperation(INS[operation], auth.value, this.terminalId, dateTime, auth.mac)));
      if (r.sw === SW.PURSE_INSUFFICIENT_BALANCE) throw new PurseDeclinedError('not enough points', r.sw);
      if (r.sw !== SW.OK) throw new CardError(operation.toUpperCase(), r.sw);
      const answer = parseOperation(r.data);
      killPoint('pos.after-card-answer');
      const confirmed = await this.o.client.exchange('/v1/terminal/merchant/confirm', LoyaltyConfirmSchema, {
        ...request, value: auth.value, newPoints: answer.points, newCounter: answer.counter, receipt: answer.receipt,
      }, LoyaltyConfirmedSchema);
      killPoint('pos.after-confirm');
      if (!confirmed.verified) throw new CardProofError(`receipt of ${operation.toUpperCase()}`);
      return {
        reader: this.o.reader.name, cardNumber, operation, value: auth.value, pointsBefore: status.points, pointsAfter: answer.points,
        counter: status.counter, receipt: toHex(answer.receipt).toUpperCase(), settled,
      };
    });
  }

  private async session<T>(timeoutMs: number, body: (cardNumber: string, status: { points: number; counter: number }, settled: SettledChange[]) => Promise<T>): Promise<T> {
    const reader = this.o.reader;
    await reader.waitForCard(timeoutMs);
    try {
      const sel = splitResponse(await reader.transmit(buildSelect(LOYALTY_AID_PREFIX)));
      if (sel.sw === SW.ERR_FILE_NOT_FOUND) throw new NoLoyaltyApplicationError();
      if (sel.sw !== SW.OK) throw new CardError('SELECT loyalty', sel.sw);
      const { cardNumber } = parseLoyaltySelect(sel.data);
      const status = parsePoints(checkSw(await reader.transmit(buildGetPoints()), 'GET POINTS').data);
      const { settled } = await this.o.client.exchange('/v1/terminal/merchant/settle', LoyaltySettleSchema, { cardNumber, counter: status.counter }, LoyaltySettledSchema);
      return await body(cardNumber, status, settled);
    } finally {
      await reader.powerOff().catch(() => undefined);
    }
  }
}
