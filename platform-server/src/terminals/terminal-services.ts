/**
 * The issuer servers the terminal API talks to, in process on the platform's database: transit
 * company, bank, merchant and the third-party payment system, with the payment system's
 * notifications delivered to the platform. The three card issuers are also the platform's issuer
 * adapters for downloads (flows/flows.ts attachFlows({ issuers })).
 */
import type { PlatformDb } from '../db/database';
import type { IssuerAdapter } from '../flows/issuers/issuer';
import { BankServer, type BankServerOptions } from '../issuers/bank-server';
import { MerchantServer, type MerchantServerOptions } from '../issuers/merchant-server';
import { PaymentSystem } from '../issuers/payment-system';
import { TransitServer, type TransitServerOptions } from '../issuers/transit-server';
import { receivePaymentNotification } from './payment-notifications';

export interface TerminalServices {
  db: PlatformDb;
  transit: TransitServer;
  bank: BankServer;
  merchant: MerchantServer;
  payments: PaymentSystem;
}

export interface TerminalServicesOptions {
  transit?: TransitServerOptions;
  bank?: BankServerOptions;
  merchant?: MerchantServerOptions;
}

export function createTerminalServices(db: PlatformDb, options: TerminalServicesOptions = {}): TerminalServices {
  const payments = new PaymentSystem(db);
  payments.onNotification((n) => receivePaymentNotification(db, n));
  return {
    db,
    transit: new TransitServer(db, options.transit),
    bank: new BankServer(db, options.bank),
    merchant: new MerchantServer(db, options.merchant),
    payments,
  };
}

/** The card issuers as download adapters. */
export function issuerAdapters(s: TerminalServices): IssuerAdapter[] {
  return [s.transit, s.bank, s.merchant];
}
