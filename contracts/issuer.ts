/**
 * The issuer interface: the platform's data processing unit asks an issuer for the install package
 * of one card. One adapter per issuer; the simulated issuers (parties/) implement it in process,
 * and platform-server/src/flows/issuers/http-issuer.ts binds it to a remote issuer server
 * (docs/flows.md §4).
 *
 * A package may hold card keys (a purse's load/purchase keys), so the platform never logs it and
 * keeps it at rest only sealed in the key store.
 */
export type IssuerKind = 'transit' | 'bank' | 'merchant';

export interface ApplicationInfo {
  /** a-z 0-9 -, as `tapcard platform download --app` names it. */
  id: string;
  issuer: IssuerKind;
  name: string;
  version: string;
}

export interface PackageRequest {
  applicationId: string;
  deviceId: string;
  seSerial: string;
  /** The card (SE serial + slot) the package is for, when the platform knows it in advance. */
  jobId: string;
}

export interface IssuedPackage {
  /** The whole load file LOAD sends (GPCS Table 11-58). */
  loadFile: Uint8Array;
  packageAid: Uint8Array;
  moduleAid: Uint8Array;
  instanceAid: Uint8Array;
  /** INSTALL [for install] privileges, 1 byte. */
  privileges: Uint8Array;
  /** Value of C9, or null. */
  installParams: Uint8Array | null;
  /** The issuer's card number (hex or digits), when the package personalises one. */
  cardNumber: string | null;
}

export interface IssuerAdapter {
  readonly issuer: IssuerKind;
  applications(): ApplicationInfo[];
  issuePackage(req: PackageRequest): Promise<IssuedPackage>;
}

export class IssuerError extends Error {
  constructor(
    message: string,
    readonly code: 'UNKNOWN_APPLICATION' | 'ISSUER_REFUSED' | 'ISSUER_UNREACHABLE',
  ) {
    super(message);
  }
}
