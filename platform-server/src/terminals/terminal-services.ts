/**
 * What the terminal API works with: the outside parties it forwards to (transit company, bank,
 * merchant, third-party payment system; contracts/issuer-services.ts), and the platform's own
 * database for its records. The composition root (cli/simulated-parties.ts) builds it from the
 * simulated parties; the three card issuers are also the platform's download adapters
 * (flows/flows.ts attachFlows({ issuers })).
 */
import type { IssuerAdapter } from '../../../contracts/issuer';
import type { IssuerServices } from '../../../contracts/issuer-services';
import type { PlatformDb } from '../db/database';

export interface TerminalServices extends IssuerServices {
  db: PlatformDb;
}

/** The card issuers as download adapters. */
export function issuerAdapters(s: IssuerServices): IssuerAdapter[] {
  return [s.transit, s.bank, s.merchant];
}
