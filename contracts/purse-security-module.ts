/**
 * The purse security module as a contract (JR/T 0025 e-purse security): what a POS asks of the
 * issuer's PSAM role (purchase MAC1, checking the card's MAC2 and TAC) and load host (checking
 * load MAC1, making MAC2, checking the load TAC). A POS never holds a card key: it is given a
 * PurseSecurityModule, the platform's through the terminal API
 * (pos-sim/src/online/online-security-module.ts) or, offline with the development keys, the
 * platform's DevKeysSecurityModule (`tapcard pos --dev-keys`). Every request carries the whole
 * transaction, so an implementation may be stateless and remote. Refusals: purse-errors.ts.
 */
/** What the card and the terminal agreed for a purchase (INITIALIZE FOR PURCHASE + DEBIT data). */
export interface PurchaseRequest {
  /** 10 bytes BCD, from SFI 15: the keys are diversified over it. */
  cardNumber: Uint8Array;
  keyIndex: number;
  keyVersion: number;
  algorithm: number;
  amount: number;
  /** TX_EP_PURCHASE (06) or TX_ED_PURCHASE (05). */
  txType: number;
  terminalId: Uint8Array;
  offlineCounter: number;
  /** The card's 4-byte random from INITIALIZE FOR PURCHASE. */
  random: Uint8Array;
  /** 4-byte terminal transaction serial. */
  terminalSerial: Uint8Array;
  /** 7 bytes BCD YYYYMMDDhhmmss. */
  dateTime: Uint8Array;
}

/** What the card and the terminal agreed for a load (INITIALIZE FOR LOAD + CREDIT data). */
export interface LoadRequest {
  cardNumber: Uint8Array;
  keyIndex: number;
  keyVersion: number;
  algorithm: number;
  amount: number;
  /** TX_EP_LOAD (02) or TX_ED_LOAD (01). */
  txType: number;
  terminalId: Uint8Array;
  /** Balance before the load, as INITIALIZE FOR LOAD answered it. */
  balance: number;
  onlineCounter: number;
  random: Uint8Array;
  dateTime: Uint8Array;
}

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
