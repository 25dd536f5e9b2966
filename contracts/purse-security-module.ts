/**
 * The purse security module as a contract (JR/T 0025 e-purse security): what a POS asks of the
 * issuer's PSAM role (purchase MAC1, checking the card's MAC2 and TAC) and load host (checking
 * load MAC1, making MAC2, checking the load TAC). A POS never holds a card key: it is given a
 * PurseSecurityModule, the platform's through the terminal API
 * (pos-sim/src/online/online-security-module.ts) or, offline with the development keys, the
 * platform's DevKeysSecurityModule (`tapcard pos --dev-keys`). Every request carries the whole
 * transaction, so an implementation may be stateless and remote. Refusals: purse-errors.ts.
 */
import type { LoadRequest, PurchaseRequest } from './purse-messages';

/** The requests are the terminal API's purse messages, decoded (purse-messages.ts). */
export type { LoadRequest, PurchaseRequest };

/** The card's answer to DEBIT FOR PURCHASE. */
export interface PurchaseProof {
  tac: Uint8Array;
  mac2: Uint8Array;
}

export interface PurseSecurityModule {
  /** Purchase MAC1 for DEBIT FOR PURCHASE. Rejects with PurseDeclinedError when it will not authorise. */
  purchaseMac1(tx: PurchaseRequest): Promise<Uint8Array>;
  /** True when the card's MAC2 and TAC for this purchase are genuine. */
  verifyPurchase(tx: PurchaseRequest, proof: PurchaseProof): Promise<boolean>;
  /**
   * Checks the card's load MAC1 (rejects with CardProofError when it is wrong: not the card it
   * claims) and answers MAC2 for CREDIT FOR LOAD. Rejects with PurseDeclinedError when it will not
   * authorise the load.
   */
  loadMac2(tx: LoadRequest, mac1: Uint8Array): Promise<Uint8Array>;
  /** True when the card's TAC for this load is genuine. */
  verifyLoadTac(tx: LoadRequest, tac: Uint8Array): Promise<boolean>;
}
