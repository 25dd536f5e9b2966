/**
 * The bank's server, in process (third terminal): it issues e-cash cards (the
 * purse engine with the bank's keys and AID, docs/package-format.md), authorises deposits (loads)
 * paid from a bank account and debits (purchases) on the e-cash purse with the bank's master keys,
 * and keeps its settlement ledger (purse-issuer-server.ts).
 *
 * A deposit takes the amount from the customer's account when it is authorised (order id
 * `account:<id>` on the ledger row). If the card never does that load (a later authorisation at the
 * same online counter proves it), the amount goes back to the account: no money made or lost.
 */
import type { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { devBankMasterKeys, type PurseMasterKeys } from '../firmware/src/core/package/dev-keys';
import { APP_CLASS_ECASH } from '../firmware/src/core/se/package-header';
import { fromHex } from '../firmware/src/core/hex';
import { IssuerError, type ApplicationInfo, type IssuedPackage, type PackageRequest } from '../contracts/issuer';
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { AccountStatement, BankService, LedgerRow, LoadPayment } from '../contracts/issuer-services';
import type { LoadRequest } from '../contracts/purse-security-module';
import { creditAccount, debitAccount, listAccounts } from './accounts';
import { cardNumberBcd, issueCardPackage, newCardNumber } from './card-package-file';
import type { PartiesDb } from './db';
import { cardDigits, PurseIssuerServer, type LoadFunding, type PurseServerOptions } from './purse-issuer-server';
import { consumePayerCode } from './payer-authorisation';

export const ECASH_APPLICATION_ID = 'ecash';
/** The bank's issuer id: e-cash AID F0 'TAPC' 'EC' 0BB8. */
export const BANK_ISSUER_ID = 3000;
const CARD_PREFIX = '62273000';
/** Order id of a deposit's ledger row: the bank account it is paid from. */
export const DEPOSIT_ORDER_PREFIX = 'account:';
export const BANK_APPLICATIONS: readonly ApplicationInfo[] = [{ id: ECASH_APPLICATION_ID, issuer: 'bank', name: 'Bank e-cash purse', version: '1.0' }];

export type BankServerOptions = PurseServerOptions;

export class BankServer extends PurseIssuerServer implements BankService {
  readonly issuer = 'bank' as const;
  private readonly masterKeys: PurseMasterKeys;
  private readonly pboc: PbocCrypto | undefined;
  private readonly nextCardNumber: () => string;

  constructor(db: PartiesDb, options: BankServerOptions = {}) {
    const masterKeys = options.masterKeys ?? devBankMasterKeys();
    super(db, masterKeys, options.pboc);
    this.masterKeys = masterKeys;
    this.pboc = options.pboc;
    this.nextCardNumber = options.nextCardNumber ?? (() => newCardNumber(CARD_PREFIX));
  }

  applications(): ApplicationInfo[] {
    return [...BANK_APPLICATIONS];
  }

  protected async cardPackage(req: PackageRequest, cardNumber: string | undefined): Promise<IssuedPackage> {
    if (req.applicationId !== ECASH_APPLICATION_ID) throw new IssuerError(`bank issuer has no '${req.applicationId}'`, 'UNKNOWN_APPLICATION');
    const digits = cardNumber ?? this.nextCardNumber();
    return issueCardPackage({
      appClass: APP_CLASS_ECASH, issuerId: BANK_ISSUER_ID, cardNumber: cardNumberBcd(digits), purseKeys: this.masterKeys, loyaltyKeys: null,
      applicationAid: null, tunion: false, defaultCard: false, validFrom: fromHex('20240101'), validTo: fromHex('20291231'), ceiling: null,
      pin: null, issuerData: null, cardFaceName: new TextEncoder().encode('Bank e-cash'), terms: null,
    }, digits, this.pboc);
  }

  /**
   * Every load is a deposit from bank account `accountId`, with the account holder's payment code
   * (payer-authorisation.ts): the same code may come again with a retry at the same card counter.
   * The account is debited when the load is authorised.
   */
  protected loadFunding(tx: LoadRequest, payment: LoadPayment): LoadFunding {
    const { accountId, payerCode } = payment;
    if (accountId === undefined || payment.orderId !== undefined) throw new IssuerRefusal('INVALID', 'a bank deposit names accountId (and no orderId)');
    const usedFor = `deposit:${cardDigits(tx.cardNumber)}/${tx.onlineCounter}`;
    return {
      orderId: DEPOSIT_ORDER_PREFIX + accountId,
      hold: () => {
        consumePayerCode(this.db, 'bank', accountId, tx.amount, payerCode, usedFor);
        debitAccount(this.db, 'bank', accountId, tx.amount);
      },
    };
  }

  /** The bank's accounts; what left each is its deposits held or confirmed on the ledger. */
  accounts(): AccountStatement[] {
    return listAccounts(this.db, 'bank').map((a) => ({
      ...a,
      paidOut: (this.db.prepare(`SELECT COALESCE(SUM(amount), 0) AS n FROM ledger WHERE issuer = 'bank' AND kind = 'load' AND order_id = ? AND state IN ('authorised', 'confirmed')`)
        .get(DEPOSIT_ORDER_PREFIX + a.id) as { n: number }).n,
    }));
  }

  /** A deposit the card never did: its amount goes back to the account. */
  protected override released(row: LedgerRow): void {
    if (row.kind === 'load' && row.orderId !== null && row.orderId.startsWith(DEPOSIT_ORDER_PREFIX)) {
      creditAccount(this.db, 'bank', row.orderId.slice(DEPOSIT_ORDER_PREFIX.length), row.amount);
    }
  }
}
