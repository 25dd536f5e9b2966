/**
 * The simulated outside parties on one store of their own: the third-party payment system, the
 * transit company's server (which takes recharges paid at the payment system), the bank's and the
 * merchant's. The three card issuers are also the platform's download adapters (contracts/issuer.ts).
 */
import type { IssuerServices } from '../contracts/issuer-services';
import type { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { BankServer, type BankServerOptions } from './bank-server';
import type { PartiesDb } from './db';
import { MerchantServer, type MerchantServerOptions } from './merchant-server';
import { PaymentSystem } from './payment-system';
import { TransitServer, type TransitServerOptions } from './transit-server';

export interface SimulatedParties extends IssuerServices {
  db: PartiesDb;
  transit: TransitServer;
  bank: BankServer;
  merchant: MerchantServer;
  payments: PaymentSystem;
}

export interface PartiesOptions {
  transit?: TransitServerOptions;
  bank?: BankServerOptions;
  merchant?: MerchantServerOptions;
  /**
   * Makes the DES engines of a purse server (its card keys and MACs) that its own options do not
   * name: the portable ones when absent; `tapcard` passes node:crypto's (cli/simulated-parties.ts).
   */
  pboc?: () => PbocCrypto;
}

export function createParties(db: PartiesDb, options: PartiesOptions = {}): SimulatedParties {
  const payments = new PaymentSystem(db);
  return {
    db,
    payments,
    transit: new TransitServer(db, payments, { pboc: options.pboc?.(), ...options.transit }),
    bank: new BankServer(db, { pboc: options.pboc?.(), ...options.bank }),
    merchant: new MerchantServer(db, options.merchant),
  };
}
