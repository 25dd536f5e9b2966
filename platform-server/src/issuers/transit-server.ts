/**
 * The transit company's server, in process: the issuer adapter that
 * issues transit purse packages (flows/issuers/transit-issuer.ts, same master keys) and the
 * load/purchase security module with its settlement ledger (purse-issuer-server.ts). The terminals
 * reach it only through the platform's terminal API (terminals/terminal-api.ts); it never hands out
 * a key. Development master keys unless given.
 */
import { devTransitMasterKeys, type PurseMasterKeys } from '../../../firmware/src/core/package/dev-keys';
import type { ApplicationInfo, IssuedPackage, IssuerAdapter, PackageRequest } from '../flows/issuers/issuer';
import { TransitIssuer } from '../flows/issuers/transit-issuer';
import type { PlatformDb } from '../db/database';
import { PurseIssuerServer } from './purse-issuer-server';

export interface TransitServerOptions {
  masterKeys?: PurseMasterKeys;
  nextCardNumber?: () => string;
}

export class TransitServer extends PurseIssuerServer implements IssuerAdapter {
  readonly issuer = 'transit' as const;
  private readonly packages: TransitIssuer;

  constructor(db: PlatformDb, options: TransitServerOptions = {}) {
    const masterKeys = options.masterKeys ?? devTransitMasterKeys();
    super(db, masterKeys);
    this.packages = new TransitIssuer({ masterKeys, nextCardNumber: options.nextCardNumber });
  }

  applications(): ApplicationInfo[] {
    return this.packages.applications();
  }

  issuePackage(req: PackageRequest): Promise<IssuedPackage> {
    return this.packages.issuePackage(req);
  }
}
