/**
 * The merchant's server, in process (fourth terminal): it issues loyalty cards and
 * authorises each change of points or coupons with the MAC the applet expects (docs/apdu.md
 * "Loyalty cards", firmware/src/core/applets/loyalty/merchant-mac.ts):
 *
 *   MAC     = CMAC(K, 00 | INS | value(4) | cardCounter(2) | terminalId(6) | dateTime(7)), 8 bytes
 *   receipt = CMAC(K, 01 | INS | value(4) | newCounter(2) | newPoints(4) | terminalId(6) | dateTime(7))
 *
 * K is the card's loyalty key, derived from the merchant master key over the card number
 * (package/card-keys.ts). The points ledger (ledger.ts, issuer 'merchant') keeps one row per card
 * counter: authorised with the MAC, confirmed with the card's receipt.
 *
 * The loyalty MAC has no card challenge, so an authorisation stays usable until the card's counter
 * moves. The server therefore keeps at most one open authorisation per card counter, and only the
 * terminal that holds it may replace it; a later tap settles it by the card's counter (settle()).
 */
import { SoftAes } from '../firmware/src/core/crypto/aes';
import { fromHex, toHex } from '../firmware/src/core/hex';
import { MerchantMac, LOYALTY_MAC_LEN } from '../firmware/src/core/applets/loyalty/merchant-mac';
import { INS_ADD_COUPON, INS_EARN, INS_REDEEM, INS_USE_COUPON } from '../firmware/src/core/applets/loyalty/loyalty-applet';
import { deriveLoyaltyKey } from '../firmware/src/core/package/card-keys';
import { devMerchantMasterKeys, type LoyaltyMasterKeys } from '../firmware/src/core/package/dev-keys';
import { APP_CLASS_LOYALTY } from '../firmware/src/core/se/package-header';
import { IssuerError, type ApplicationInfo, type IssuedPackage, type PackageRequest } from '../contracts/issuer';
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { LedgerRow, LoyaltyAuthorisation, LoyaltyReceipt, LoyaltyRequest, MerchantService } from '../contracts/issuer-services';
import { LOYALTY_OPERATIONS, type LoyaltyOperation } from '../contracts/loyalty-messages';
import { cardNumberBcd, issueCardPackage, newCardNumber } from './card-package-file';
import type { PartiesDb } from './db';
import { cardIssuedForJob, recordIssuedPackage, requireIssuedCard } from './issued-cards';
import { authorise, cardLedger, confirm, findAtCounter, ledgerCards } from './ledger';

export const LOYALTY_APPLICATION_ID = 'loyalty';
/** The merchant's issuer id: loyalty AID F0 'TAPC' 'LY' 01F4. */
export const MERCHANT_ISSUER_ID = 500;
const CARD_PREFIX = '88000500';
export const MERCHANT_APPLICATIONS: readonly ApplicationInfo[] = [{ id: LOYALTY_APPLICATION_ID, issuer: 'merchant', name: 'Merchant loyalty card', version: '1.0' }];

export const OPERATION_INS: Record<LoyaltyOperation, number> = {
  earn: INS_EARN,
  redeem: INS_REDEEM,
  'coupon-add': INS_ADD_COUPON,
  'coupon-use': INS_USE_COUPON,
};

export interface MerchantServerOptions {
  masterKeys?: LoyaltyMasterKeys;
  /** Points for a purchase of `fen` (the merchant's earning rule); default 1 point per whole yuan. */
  pointsFor?: (fen: number) => number;
  nextCardNumber?: () => string;
}

export class MerchantServer implements MerchantService {
  readonly issuer = 'merchant' as const;
  private readonly masterKeys: LoyaltyMasterKeys;
  private readonly mac = new MerchantMac(new SoftAes());
  private readonly rule: (fen: number) => number;
  private readonly nextCardNumber: () => string;

  constructor(
    private readonly db: PartiesDb,
    options: MerchantServerOptions = {},
  ) {
    this.masterKeys = options.masterKeys ?? devMerchantMasterKeys();
    this.rule = options.pointsFor ?? ((fen) => Math.floor(fen / 100));
    this.nextCardNumber = options.nextCardNumber ?? (() => newCardNumber(CARD_PREFIX));
  }

  applications(): ApplicationInfo[] {
    return [...MERCHANT_APPLICATIONS];
  }

  async issuePackage(req: PackageRequest): Promise<IssuedPackage> {
    if (req.applicationId !== LOYALTY_APPLICATION_ID) throw new IssuerError(`merchant issuer has no '${req.applicationId}'`, 'UNKNOWN_APPLICATION');
    // The job id is the idempotency key: asked again for the same job, the same card (issued-cards.ts).
    const digits = cardIssuedForJob(this.db, 'merchant', req.jobId) ?? this.nextCardNumber();
    const issued = issueCardPackage({
      appClass: APP_CLASS_LOYALTY, issuerId: MERCHANT_ISSUER_ID, cardNumber: cardNumberBcd(digits), purseKeys: null, loyaltyKeys: this.masterKeys,
      applicationAid: null, tunion: false, defaultCard: false, validFrom: fromHex('20240101'), validTo: fromHex('20291231'), ceiling: null,
      pin: null, issuerData: null, cardFaceName: new TextEncoder().encode('Merchant loyalty'), terms: null,
    }, digits);
    recordIssuedPackage(this.db, 'merchant', req.jobId, digits);
    return issued;
  }

  requireCard(cardNumber: string): void {
    requireIssuedCard(this.db, 'merchant', cardNumber);
  }

  /**
   * The value of this change (an earn's points by the merchant's rule for the purchase; the
   * others' as asked) and its MAC at the card's counter; the ledger holds it as authorised.
   */
  authorise(asked: LoyaltyAuthorisation): { value: number; mac: Uint8Array } {
    const { purchaseAmount, ...rest } = asked;
    let value = asked.value;
    if (asked.operation === 'earn') {
      if (purchaseAmount === undefined || value !== undefined) throw new IssuerRefusal('INVALID', 'an earn names purchaseAmount (the merchant server decides the points)');
      value = this.rule(purchaseAmount);
      if (value < 1) throw new IssuerRefusal('DECLINED', `a purchase of ${purchaseAmount} fen earns no points`);
    } else if (value === undefined || purchaseAmount !== undefined) {
      throw new IssuerRefusal('INVALID', `a ${asked.operation} names value (points or coupon id)`);
    }
    const req: LoyaltyRequest = { ...rest, value };
    this.requireCard(req.cardNumber);
    if (req.operation === 'redeem' && req.value > req.points) {
      throw new IssuerRefusal('DECLINED', `card ${req.cardNumber} holds ${req.points} points, cannot redeem ${req.value}`);
    }
    const mac = this.authorisationMac(req);
    const terminalId = toHex(req.terminalId);
    this.db.transaction(() => {
      const open = findAtCounter(this.db, 'merchant', req.cardNumber, LOYALTY_OPERATIONS, req.counter);
      if (open !== undefined && open.state === 'authorised' && open.terminalId !== terminalId) {
        throw new IssuerRefusal('CONFLICT', `card ${req.cardNumber}: terminal ${open.terminalId} holds an unsettled ${open.kind} at counter ${req.counter}`);
      }
      authorise(this.db, {
        issuer: 'merchant', cardNumber: req.cardNumber, kind: req.operation, amount: req.value, balanceBefore: req.points,
        balanceAfter: pointsAfter(req), counter: req.counter, terminalId, orderId: null, mac: toHex(mac),
      }, LOYALTY_OPERATIONS);
    })();
    return { value, mac };
  }

  /**
   * Checks the card's receipt; a genuine one confirms the ledger row. Asked again, it answers the
   * confirmed row and changes nothing. Returns the row, or null when not genuine.
   */
  confirm(req: LoyaltyRequest, answer: LoyaltyReceipt): LedgerRow | null {
    this.requireCard(req.cardNumber);
    const mac = toHex(this.authorisationMac(req));
    const expected = this.receiptMac(req, answer);
    const genuine = answer.counter === req.counter + 1 && toHex(expected) === toHex(answer.receipt);
    return this.db.transaction(() => {
      const row = findAtCounter(this.db, 'merchant', req.cardNumber, LOYALTY_OPERATIONS, req.counter);
      if (row === undefined || row.mac !== mac) {
        throw new IssuerRefusal('CONFLICT', `card ${req.cardNumber}: no such ${req.operation} authorised at counter ${req.counter}`);
      }
      if (!genuine) return null;
      if (row.state === 'confirmed') return row;
      return confirm(this.db, row.id, toHex(answer.receipt), answer.points);
    })();
  }

  /**
   * Settles the card's open authorisations by its counter (GET POINTS at the next tap): one below
   * the card's counter happened (only this server's MAC moves it, one authorisation per counter);
   * the receipt is then unknown (tac null). Returns the rows it confirmed.
   */
  settle(cardNumber: string, cardCounter: number): LedgerRow[] {
    this.requireCard(cardNumber);
    const done: LedgerRow[] = [];
    this.db.transaction(() => {
      for (const row of cardLedger(this.db, 'merchant', cardNumber)) {
        if (row.state === 'authorised' && row.counter < cardCounter) {
          this.db.prepare(`UPDATE ledger SET state = 'confirmed', updated_at = ? WHERE id = ?`).run(new Date().toISOString(), row.id);
          done.push({ ...row, state: 'confirmed' });
        }
      }
    })();
    return done;
  }

  ledger(cardNumber: string): LedgerRow[] {
    return cardLedger(this.db, 'merchant', cardNumber);
  }

  ledgerCards(): string[] {
    return ledgerCards(this.db, 'merchant');
  }

  private authorisationMac(req: LoyaltyRequest): Uint8Array {
    const key = deriveLoyaltyKey(this.masterKeys, cardNumberBcd(req.cardNumber));
    const out = new Uint8Array(LOYALTY_MAC_LEN);
    this.mac.authorisation(key, 0, OPERATION_INS[req.operation], req.value, req.counter, req.terminalId, 0, req.dateTime, 0, out, 0);
    key.fill(0);
    return out;
  }

  private receiptMac(req: LoyaltyRequest, answer: LoyaltyReceipt): Uint8Array {
    const key = deriveLoyaltyKey(this.masterKeys, cardNumberBcd(req.cardNumber));
    const out = new Uint8Array(LOYALTY_MAC_LEN);
    this.mac.receipt(key, 0, OPERATION_INS[req.operation], req.value, answer.counter, answer.points, req.terminalId, 0, req.dateTime, 0, out, 0);
    key.fill(0);
    return out;
  }
}

function pointsAfter(req: LoyaltyRequest): number {
  if (req.operation === 'earn') return req.points + req.value;
  if (req.operation === 'redeem') return req.points - req.value;
  return req.points;
}
