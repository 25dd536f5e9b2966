/**
 * A bench-only issuer adapter: the transit package (bench/_transit.ts, development issuer keys)
 * at a chosen size, handed to the platform through the issuer interface
 * (contracts/issuer.ts) like any in-process issuer. The production transit
 * issuer has no size setting, so the benches plug this one in with `attachFlows(..., { issuers })`
 * instead; no production code path changes. Each package personalises its own card number, kept
 * per device so a bench can tap the card it installed.
 */
import { MAX_LOAD_BLOCKS, loadBlockSize } from '../firmware/src/core/gp/load-script';
import { MAX_COMMAND_DATA } from '../firmware/src/core/se/isd';
import { DOWNLOAD_SECURITY_LEVEL } from '../platform-server/src/flows/data-security-unit';
import { IssuerError, type ApplicationInfo, type IssuedPackage, type IssuerAdapter, type PackageRequest } from '../contracts/issuer';
import { CARD_NUMBER, transitPackage, type TransitPackage } from './_transit';

export const BENCH_APPLICATION_ID = 'bench-transit';
/** Load file bytes one LOAD carries at the platform's download security level (C-MAC + C-DEC). */
export const PLATFORM_BLOCK_SIZE = loadBlockSize(MAX_COMMAND_DATA, DOWNLOAD_SECURITY_LEVEL);

/**
 * The terms length sizedTransitPackage found for a limit. A package's length does not depend on
 * its card number (ten BCD octets in every package), so each further package of that size is
 * built once, not first without terms to measure it: the bench issuer builds one package per
 * download job, as an issuer personalising a known application would, and its sizing stays out of
 * the end-to-end figures (it was about half of the issuer's time in a 4 KB download).
 */
const termsForLimit = new Map<number, number>();

/**
 * The transit package of the largest terms length that stays within `bytes` and within
 * MAX_LOAD_BLOCKS blocks of `block` bytes (GP numbers LOAD blocks in one byte, GPCS 11.6.2.2).
 */
export function sizedTransitPackage(bytes: number, block: number, cardNumber = CARD_NUMBER): TransitPackage {
  const limit = Math.min(bytes, MAX_LOAD_BLOCKS * block);
  const known = termsForLimit.get(limit);
  if (known !== undefined) {
    const pkg = transitPackage(known, cardNumber);
    if (pkg.file.length <= limit) return pkg;
  }
  // The package without terms is the answer whenever the limit leaves no room for terms (the
  // platform bench's package): built once, not again with zero terms.
  let pkg = transitPackage(0, cardNumber);
  let terms = Math.max(0, limit - pkg.file.length);
  if (terms > 0) pkg = transitPackage(terms, cardNumber);
  while (pkg.file.length > limit && terms > 0) {
    terms = Math.max(0, terms - (pkg.file.length - limit));
    pkg = transitPackage(terms, cardNumber);
  }
  termsForLimit.set(limit, terms);
  return pkg;
}

export interface IssuedCard {
  cardNumber: string;
  pkg: TransitPackage;
}

export class SizedTransitIssuer implements IssuerAdapter {
  readonly issuer = 'transit' as const;
  /** The last package issued for each device, with its download job: asked again for that job, the same package (the idempotency key, contracts/issuer.ts). */
  readonly issued = new Map<string, IssuedCard & { jobId: string }>();
  /**
   * targetBytes: load file size to issue (0 = the smallest transit package); serial: card numbers
   * continue from it (workers sharing one database issue from ranges of their own).
   */
  constructor(
    public targetBytes: number,
    private serial = 0,
  ) {}

  applications(): ApplicationInfo[] {
    return [{ id: BENCH_APPLICATION_ID, issuer: 'transit', name: 'Transit purse (bench, sized)', version: '1.0' }];
  }

  async issuePackage(req: PackageRequest): Promise<IssuedPackage> {
    if (req.applicationId !== BENCH_APPLICATION_ID) throw new IssuerError(`bench issuer has no '${req.applicationId}'`, 'UNKNOWN_APPLICATION');
    const again = this.issued.get(req.deviceId);
    const { cardNumber, pkg } =
      again?.jobId === req.jobId ? again : this.issue(req, `31041000${String(++this.serial).padStart(12, '0')}`);
    return {
      loadFile: pkg.file.slice(),
      packageAid: pkg.spec.packageAid,
      moduleAid: pkg.spec.moduleAid,
      instanceAid: pkg.spec.instanceAid,
      privileges: pkg.spec.privileges,
      installParams: null,
      cardNumber,
    };
  }

  private issue(req: PackageRequest, cardNumber: string): IssuedCard & { jobId: string } {
    const card = { cardNumber, pkg: sizedTransitPackage(this.targetBytes, PLATFORM_BLOCK_SIZE, cardNumber), jobId: req.jobId };
    this.issued.set(req.deviceId, card);
    return card;
  }
}
