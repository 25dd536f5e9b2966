/**
 * The POS's purse security module ONLINE: every MAC comes from the issuer's server through the
 * platform's terminal API, so TransitPos (purse/transit-pos.ts) runs the same code path as with the
 * offline development keys, and the terminal never holds a key (ARCHITECTURE.md flows 3-5).
 *
 *   purchaseMac1   POST /v1/terminal/{issuer}/purchase/authorise   -> mac1
 *   verifyPurchase POST /v1/terminal/{issuer}/purchase/confirm     -> verified (the ledger confirms)
 *   loadMac2       POST /v1/terminal/{issuer}/load/authorise       -> mac2 (the server checks MAC1)
 *   verifyLoadTac  POST /v1/terminal/{issuer}/load/confirm         -> verified
 *
 * A load is paid by `funding`: cash at the first terminal (none), a paid recharge order at the
 * second (orderId = its idempotency key), a bank account at the third (accountId).
 */
import type { LoadRequest, PurchaseProof, PurchaseRequest, PurseSecurityModule } from '../../../contracts/purse-security-module';
import type { PlatformClient } from './platform-client';
import {
  LoadAuthoriseSchema, LoadAuthorisedSchema, LoadConfirmSchema, LoadConfirmedSchema, PurchaseAuthoriseSchema, PurchaseAuthorisedSchema, PurchaseConfirmSchema,
  PurchaseConfirmedSchema,
} from '../../../contracts/purse-messages';

export type PurseIssuerPath = 'transit' | 'bank';

export interface LoadFunding {
  orderId?: string;
  accountId?: string;
  /** With accountId: the account holder's payment code. */
  payerCode?: string;
}

export class OnlineSecurityModule implements PurseSecurityModule {
  constructor(
    private readonly client: PlatformClient,
    private readonly issuer: PurseIssuerPath,
    private readonly funding: LoadFunding = {},
  ) {}

  async purchaseMac1(tx: PurchaseRequest): Promise<Uint8Array> {
    const r = await this.client.exchange(`/v1/terminal/${this.issuer}/purchase/authorise`, PurchaseAuthoriseSchema, tx, PurchaseAuthorisedSchema);
    return r.mac1;
  }

  async verifyPurchase(tx: PurchaseRequest, proof: PurchaseProof): Promise<boolean> {
    const r = await this.client.exchange(`/v1/terminal/${this.issuer}/purchase/confirm`, PurchaseConfirmSchema, { ...tx, ...proof }, PurchaseConfirmedSchema);
    return r.verified;
  }

  async loadMac2(tx: LoadRequest, mac1: Uint8Array): Promise<Uint8Array> {
    const r = await this.client.exchange(`/v1/terminal/${this.issuer}/load/authorise`, LoadAuthoriseSchema, { ...tx, mac1, ...this.funding }, LoadAuthorisedSchema);
    return r.mac2;
  }

  async verifyLoadTac(tx: LoadRequest, tac: Uint8Array): Promise<boolean> {
    const r = await this.client.exchange(`/v1/terminal/${this.issuer}/load/confirm`, LoadConfirmSchema, { ...tx, tac }, LoadConfirmedSchema);
    return r.verified;
  }
}
