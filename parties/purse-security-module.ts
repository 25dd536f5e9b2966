/**
 * The purse security module (JR/T 0025 e-purse security): the PSAM role (purchase MAC1, checking the card's MAC2
 * and TAC) and the issuer's load host (checking load MAC1, making MAC2, checking the load TAC). It
 * is the issuer's: the purse issuer servers (purse-issuer-server.ts) hold one with their master
 * keys. A POS never holds a card key: it is injected with a PurseSecurityModule, either the
 * platform's through the terminal API (pos-sim/src/online/online-security-module.ts) or, offline
 * with the development keys, a DevKeysSecurityModule of its own (`tapcard pos --dev-keys`).
 *
 * The interface and its request types are the contract in contracts/purse-security-module.ts.
 */
import { equalCt } from '../firmware/src/core/bytes';
import { PurseCrypto, MAC_LEN } from '../firmware/src/core/applets/purse/purse-crypto';
import type { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { softPbocCrypto } from '../firmware/src/core/crypto/soft-pboc';
import { diversifyPurseKeysWith } from '../firmware/src/core/package/card-keys';
import { devTransitMasterKeys, type PurseMasterKeys } from '../firmware/src/core/package/dev-keys';
import { CardProofError, PurseDeclinedError } from '../contracts/purse-errors';
import type { LoadRequest, PurchaseProof, PurchaseRequest, PurseSecurityModule } from '../contracts/purse-security-module';

/**
 * A PurseSecurityModule with the issuer master keys in process: the card keys are diversified per
 * card number (package/card-keys.ts) and every MAC is the core PurseCrypto the card itself runs, so
 * card, POS and issuer cannot drift. The default keys are the development transit keys
 * (package/dev-keys.ts). The DES engines are the caller's: the portable ones by default; a server
 * process passes node:crypto's (net/crypto/node-des.ts nodePbocCrypto, from the CLI's composition
 * root: the parties import no net code). A host PbocCrypto wipes every key after every operation.
 */
export class DevKeysSecurityModule implements PurseSecurityModule {
  private readonly master: PurseMasterKeys;
  private readonly pboc: PbocCrypto;
  private readonly crypto: PurseCrypto;

  constructor(master: PurseMasterKeys = devTransitMasterKeys(), pboc: PbocCrypto = softPbocCrypto()) {
    this.master = master;
    this.pboc = pboc;
    this.crypto = new PurseCrypto(pboc);
  }

  async purchaseMac1(tx: PurchaseRequest): Promise<Uint8Array> {
    this.checkKey(tx.keyIndex, tx.keyVersion);
    const keys = diversifyPurseKeysWith(this.pboc, this.master, tx.cardNumber);
    this.crypto.startPurchase(keys.purchase, tx.random, 0, tx.offlineCounter, tx.terminalSerial, 0);
    const mac1 = new Uint8Array(MAC_LEN);
    this.crypto.transactionMac(tx, tx.dateTime, 0, mac1);
    this.crypto.clear();
    return mac1;
  }

  async verifyPurchase(tx: PurchaseRequest, proof: PurchaseProof): Promise<boolean> {
    const keys = diversifyPurseKeysWith(this.pboc, this.master, tx.cardNumber);
    const expected = new Uint8Array(2 * MAC_LEN);
    this.crypto.purchaseTac(keys.tac, tx, tx.terminalSerial, 0, tx.dateTime, 0, expected);
    this.crypto.startPurchase(keys.purchase, tx.random, 0, tx.offlineCounter, tx.terminalSerial, 0);
    this.crypto.purchaseMac2(tx.amount, expected, MAC_LEN);
    this.crypto.clear();
    return equalCt(expected, 0, proof.tac, 0, MAC_LEN) && equalCt(expected, MAC_LEN, proof.mac2, 0, MAC_LEN);
  }

  async loadMac2(tx: LoadRequest, mac1: Uint8Array): Promise<Uint8Array> {
    this.checkKey(tx.keyIndex, tx.keyVersion);
    const keys = diversifyPurseKeysWith(this.pboc, this.master, tx.cardNumber);
    this.crypto.startLoad(keys.load, tx.random, 0, tx.onlineCounter);
    const expected = new Uint8Array(MAC_LEN);
    this.crypto.loadMac1(tx, tx.balance, expected, 0);
    if (mac1.length !== MAC_LEN || !equalCt(expected, 0, mac1, 0, MAC_LEN)) {
      this.crypto.clear();
      throw new CardProofError('MAC1 of INITIALIZE FOR LOAD');
    }
    const mac2 = new Uint8Array(MAC_LEN);
    this.crypto.transactionMac(tx, tx.dateTime, 0, mac2);
    this.crypto.clear();
    return mac2;
  }

  async verifyLoadTac(tx: LoadRequest, tac: Uint8Array): Promise<boolean> {
    const keys = diversifyPurseKeysWith(this.pboc, this.master, tx.cardNumber);
    const expected = new Uint8Array(MAC_LEN);
    this.crypto.loadTac(keys.tac, tx, tx.balance + tx.amount, tx.onlineCounter, tx.dateTime, 0, expected);
    return tac.length === MAC_LEN && equalCt(expected, 0, tac, 0, MAC_LEN);
  }

  /** The card names the key it holds; these master keys can only serve that index and version. */
  private checkKey(keyIndex: number, keyVersion: number): void {
    if (keyIndex !== this.master.keyIndex || keyVersion !== this.master.keyVersion) {
      throw new PurseDeclinedError(`the security module has no key index ${keyIndex} version ${keyVersion}`);
    }
  }
}
