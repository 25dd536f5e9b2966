/**
 * The transit company's package issuing, as an in-process issuer adapter: it issues the transit purse
 * package of one card (firmware/src/core/package: AIDs, purse keys diversified from the issuer's
 * master keys over the card number, personalisation). Development master keys unless given.
 * The load/purchase security module role (MAC1/MAC2/TAC, ledger) is transit-server.ts's.
 */
import type { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { devTransitMasterKeys, type PurseMasterKeys } from '../firmware/src/core/package/dev-keys';
import { APP_CLASS_TRANSIT } from '../firmware/src/core/se/package-header';
import { cardNumberBcd, issueCardPackage, newCardNumber } from './card-package-file';
import { IssuerError, type ApplicationInfo, type IssuedPackage, type IssuerAdapter, type PackageRequest } from '../contracts/issuer';

export const TRANSIT_APPLICATION_ID = 'transit';
/** City issuer id (the package format's issuer id is 16-bit, docs/package-format.md). */
export const TRANSIT_ISSUER_ID = 1000;
/** The card's terms of use, carried in the package's resources (a realistic size: many LOAD blocks). */
const TERMS_OF_USE = Array.from(
  { length: 24 },
  (_, i) => `${i + 1}. The city transit purse holds at most 1000.00 CNY; loads and fares are recorded by the transit company and settled daily. `,
).join('');

export interface TransitIssuerOptions {
  masterKeys?: PurseMasterKeys;
  /** Card numbers: 20 digits; default 3104 + issuer id + 12 random digits. */
  nextCardNumber?: () => string;
  /** The DES engines of the card keys (makePackageSpec): the portable ones unless given. */
  pboc?: PbocCrypto;
}

export class TransitIssuer implements IssuerAdapter {
  readonly issuer = 'transit' as const;

  constructor(private readonly options: TransitIssuerOptions = {}) {}

  applications(): ApplicationInfo[] {
    return [{ id: TRANSIT_APPLICATION_ID, issuer: 'transit', name: 'City transit purse', version: '1.0' }];
  }

  /**
   * The package of the card numbered cardNumber, or of a new card. Alone, this adapter records no
   * card, so a request repeated for the same job gets a new card number that nobody outside the
   * platform knew of (the platform installs only the package it stored: download-package.ts);
   * TransitServer keeps each job's card number and passes it here, so its cards are issued once.
   */
  async issuePackage(req: PackageRequest, cardNumber?: string): Promise<IssuedPackage> {
    if (req.applicationId !== TRANSIT_APPLICATION_ID) throw new IssuerError(`transit issuer has no '${req.applicationId}'`, 'UNKNOWN_APPLICATION');
    const digits = cardNumber ?? this.options.nextCardNumber?.() ?? newCardNumber(`3104${TRANSIT_ISSUER_ID}`);
    return issueCardPackage(
      {
        appClass: APP_CLASS_TRANSIT,
        issuerId: TRANSIT_ISSUER_ID,
        cardNumber: cardNumberBcd(digits),
        purseKeys: this.options.masterKeys ?? devTransitMasterKeys(),
        loyaltyKeys: null,
        applicationAid: null,
        tunion: false,
        defaultCard: false,
        validFrom: Uint8Array.from([0x20, 0x24, 0x01, 0x01]),
        validTo: Uint8Array.from([0x20, 0x29, 0x12, 0x31]),
        ceiling: null,
        pin: null,
        issuerData: null,
        cardFaceName: new TextEncoder().encode('City transit'),
        terms: new TextEncoder().encode(TERMS_OF_USE),
      },
      digits,
      this.options.pboc,
    );
  }
}
