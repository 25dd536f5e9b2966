/**
 * The purse issuers' server side, shared by the transit company's server and the bank's: the
 * load/purchase security module (JR/T 0025 e-purse security: it derives each card's DLK/DPK/DTK from the
 * issuer's master keys over the card number, makes purchase MAC1, checks load MAC1 and makes load
 * MAC2, verifies purchase MAC2/TAC and load TAC) and the settlement ledger (ledger.ts).
 *
 * The MACs are the core PurseCrypto the card itself runs, through the key-holding security module
 * (purse-security-module.ts, the same class a POS uses offline with development keys), so card, POS
 * and issuer cannot drift. Every request carries the whole transaction; the server keeps only the ledger
 * and the cards it issued (issued-cards.ts).
 */
import type { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { toHex } from '../firmware/src/core/hex';
import type { PurseMasterKeys } from '../firmware/src/core/package/dev-keys';
import type { ApplicationInfo, IssuedPackage, PackageRequest } from '../contracts/issuer';
import { IssuerRefusal } from '../contracts/issuer-refusal';
import type { LedgerRow, LoadPayment, PurseIssuerService } from '../contracts/issuer-services';
import { CardProofError, PurseDeclinedError } from '../contracts/purse-errors';
import type { LoadRequest, PurchaseProof, PurchaseRequest } from '../contracts/purse-security-module';
import type { PartiesDb } from './db';
import { cardIssuedForJob, recordIssuedPackage, requireIssuedCard } from './issued-cards';
import { authorise, cardLedger, confirm, findAtCounter, ledgerCards, reverse } from './ledger';
import { DevKeysSecurityModule } from './purse-security-module';

/** A purse server's master keys (development keys unless given) and card numbers (random unless given). */
export interface PurseServerOptions {
  masterKeys?: PurseMasterKeys;
  nextCardNumber?: () => string;
  /**
   * The DES engines of its card keys and MACs (the packages it issues, its security module): the
   * portable ones unless given; `tapcard` passes node:crypto's (cli/simulated-parties.ts).
   */
  pboc?: PbocCrypto;
}

/** How a load is paid for; `hold` runs inside the ledger transaction and may refuse (nothing is written then). */
export interface LoadFunding {
  orderId: string | null;
  hold?: () => void;
}

function hex(b: Uint8Array): string {
  return toHex(b);
}

/** The card number in digits: the BCD bytes of SFI 15 read as hex. */
export function cardDigits(bcd: Uint8Array): string {
  return toHex(bcd);
}

export abstract class PurseIssuerServer implements PurseIssuerService {
  abstract readonly issuer: 'transit' | 'bank';
  private readonly sm: DevKeysSecurityModule;

  protected constructor(
    protected readonly db: PartiesDb,
    masterKeys: PurseMasterKeys,
    pboc: PbocCrypto | undefined,
  ) {
    this.sm = new DevKeysSecurityModule(masterKeys, pboc);
  }

  abstract applications(): ApplicationInfo[];

  /** The package of one card, personalised with cardNumber, or with a new card number when it is undefined. */
  protected abstract cardPackage(req: PackageRequest, cardNumber: string | undefined): Promise<IssuedPackage>;

  /**
   * Issues one card's package and records the card as this issuer's; asked again for the same job
   * (the idempotency key), the same card's package again, and no other card.
   */
  async issuePackage(req: PackageRequest): Promise<IssuedPackage> {
    const issued = await this.cardPackage(req, cardIssuedForJob(this.db, this.issuer, req.jobId));
    if (issued.cardNumber !== null) recordIssuedPackage(this.db, this.issuer, req.jobId, issued.cardNumber);
    return issued;
  }

  /** Refuses a card this issuer did not issue. */
  requireCard(cardNumber: string): void {
    requireIssuedCard(this.db, this.issuer, cardNumber);
  }

  /** How this issuer's loads are paid: `hold` runs inside the ledger transaction and may refuse (nothing is written then). */
  protected abstract loadFunding(tx: LoadRequest, payment: LoadPayment): LoadFunding;

  /** Purchase MAC1 for DEBIT FOR PURCHASE; the ledger holds the purchase as authorised. */
  async authorisePurchase(tx: PurchaseRequest): Promise<Uint8Array> {
    const card = cardDigits(tx.cardNumber);
    this.requireCard(card);
    const mac1 = await this.securityModule(() => this.sm.purchaseMac1(tx));
    this.db.transaction(() => {
      const replaced = authorise(this.db, {
        issuer: this.issuer, cardNumber: card, kind: 'purchase', amount: tx.amount, balanceBefore: null, balanceAfter: null,
        counter: tx.offlineCounter, terminalId: hex(tx.terminalId), orderId: null, mac: null,
      }, ['purchase']);
      if (replaced !== null) this.released(replaced);
    })();
    return mac1;
  }

  /**
   * Checks the card's MAC2 and TAC; genuine ones confirm the ledger row. Asked again, it answers the
   * confirmed row and changes nothing. Returns the row, or null when not genuine.
   */
  async confirmPurchase(tx: PurchaseRequest, proof: PurchaseProof): Promise<LedgerRow | null> {
    const card = cardDigits(tx.cardNumber);
    this.requireCard(card);
    if (!(await this.sm.verifyPurchase(tx, proof))) return null;
    return this.settle(card, 'purchase', tx.offlineCounter, tx.amount, hex(tx.terminalId), hex(proof.tac), null);
  }

  /** Checks load MAC1 (CARD_PROOF when wrong) and how the load is paid, makes MAC2; the ledger holds the load as authorised. */
  async authoriseLoad(tx: LoadRequest, mac1: Uint8Array, payment: LoadPayment): Promise<Uint8Array> {
    const funding = this.loadFunding(tx, payment);
    const card = cardDigits(tx.cardNumber);
    this.requireCard(card);
    const mac2 = await this.securityModule(() => this.sm.loadMac2(tx, mac1));
    this.db.transaction(() => {
      funding.hold?.();
      const replaced = authorise(this.db, {
        issuer: this.issuer, cardNumber: card, kind: 'load', amount: tx.amount, balanceBefore: tx.balance, balanceAfter: tx.balance + tx.amount,
        counter: tx.onlineCounter, terminalId: hex(tx.terminalId), orderId: funding.orderId, mac: hex(mac2),
      }, ['load']);
      if (replaced !== null) this.released(replaced);
    })();
    return mac2;
  }

  /** Checks the card's load TAC; a genuine one confirms the ledger row, once, as confirmPurchase. */
  async confirmLoad(tx: LoadRequest, tac: Uint8Array): Promise<LedgerRow | null> {
    const card = cardDigits(tx.cardNumber);
    this.requireCard(card);
    if (!(await this.sm.verifyLoadTac(tx, tac))) return null;
    return this.settle(card, 'load', tx.onlineCounter, tx.amount, hex(tx.terminalId), hex(tac), tx.balance + tx.amount);
  }

  /**
   * Releases the load authorised at the card's online counter, which the card proves it never did:
   * `mac1` is a fresh INITIALIZE FOR LOAD's at that counter (the card moves it only when a load
   * commits, and the new session's random voids the MAC2 handed out before). The row is reversed
   * and what it held goes back (a bank deposit's amount); an order's load, `orderId`, becomes paid
   * again, so it can be refunded. Returns the released row, or null when nothing is open at that
   * counter. CARD_PROOF when MAC1 is not the card's; CONFLICT when the open load is another order's.
   */
  async releaseLoad(tx: LoadRequest, mac1: Uint8Array, orderId: string | null): Promise<LedgerRow | null> {
    const card = cardDigits(tx.cardNumber);
    this.requireCard(card);
    await this.securityModule(() => this.sm.loadMac2(tx, mac1));
    return this.db.transaction(() => {
      const row = findAtCounter(this.db, this.issuer, card, ['load'], tx.onlineCounter);
      if (row === undefined || row.state !== 'authorised') return null;
      if (orderId !== null && row.orderId !== orderId) {
        throw new IssuerRefusal('CONFLICT', `card ${card}: the open load at counter ${tx.onlineCounter} is not order '${orderId}''s`);
      }
      const reversed = reverse(this.db, row.id);
      this.released(row);
      return reversed;
    })();
  }

  /** True when this purchase's MAC2/TAC (or this load's TAC) are the card's: reconciliation re-checks the records with it. */
  proofValid(kind: 'purchase', tx: PurchaseRequest, proof: PurchaseProof): Promise<boolean>;
  proofValid(kind: 'load', tx: LoadRequest, proof: { tac: Uint8Array }): Promise<boolean>;
  proofValid(kind: 'purchase' | 'load', tx: PurchaseRequest | LoadRequest, proof: PurchaseProof | { tac: Uint8Array }): Promise<boolean> {
    if (kind === 'purchase') return this.sm.verifyPurchase(tx as PurchaseRequest, proof as PurchaseProof);
    return this.sm.verifyLoadTac(tx as LoadRequest, proof.tac);
  }

  ledger(cardNumber: string): LedgerRow[] {
    return cardLedger(this.db, this.issuer, cardNumber);
  }

  ledgerCards(): string[] {
    return ledgerCards(this.db, this.issuer);
  }

  /** A row this issuer's authorisation left, taken over by a later one at its counter: it never happened. */
  protected released(_row: LedgerRow): void {}

  private authorisedRow(card: string, kind: 'purchase' | 'load', counter: number, amount: number, terminalId: string): LedgerRow {
    const row = findAtCounter(this.db, this.issuer, card, [kind], counter);
    if (row === undefined) {
      throw new IssuerRefusal('CONFLICT', `card ${card}: no ${kind} authorised at counter ${counter}`);
    }
    if (row.amount !== amount || row.terminalId !== terminalId) {
      throw new IssuerRefusal('CONFLICT', `card ${card}: the ${kind} at counter ${counter} was authorised for another amount or terminal`);
    }
    return row;
  }

  /** The row read and confirmed in one transaction. */
  private settle(card: string, kind: 'purchase' | 'load', counter: number, amount: number, terminalId: string, tac: string, balanceAfter: number | null): LedgerRow {
    return this.db.transaction(() => {
      const row = this.authorisedRow(card, kind, counter, amount, terminalId);
      if (row.state === 'confirmed') {
        if (row.tac !== tac) throw new IssuerRefusal('CONFLICT', `card ${row.cardNumber}: counter ${row.counter} already settled with another TAC`);
        return row;
      }
      return confirm(this.db, row.id, tac, balanceAfter);
    })();
  }

  /** The security module's own refusals as the issuer's. */
  private async securityModule<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof CardProofError) throw new IssuerRefusal('CARD_PROOF', e.message);
      if (e instanceof PurseDeclinedError) throw new IssuerRefusal('DECLINED', e.message);
      throw e;
    }
  }
}
