/**
 * The issuer interface: the platform's data processing unit asks an issuer for the install package
 * of one card. One adapter per issuer; the simulated issuers (parties/) implement it in process,
 * and platform-server/src/flows/issuers/http-issuer.ts binds it to a remote issuer server
 * (docs/flows.md §4) with the schemas below (bytes as hex on the wire), which its types come from.
 *
 * A package may hold card keys (a purse's load/purchase keys), so the platform never logs it and
 * keeps it at rest only sealed in the key store.
 */
import { z } from 'zod';
import { MAX_LOAD_FILE_LEN } from '../firmware/src/core/se/content-loader';
import { hexBytesBetween, oneOf, text, wireBody } from './wire-schema';

export const ISSUER_KINDS = ['transit', 'bank', 'merchant'] as const;
export type IssuerKind = (typeof ISSUER_KINDS)[number];

const ApplicationInfoSchema = z.strictObject({
  /** a-z 0-9 -, as `tapcard platform download --app` names it. */
  id: text(64, /^[a-z0-9-]+$/),
  issuer: oneOf(ISSUER_KINDS),
  name: text(200),
  version: text(64),
});
export type ApplicationInfo = z.output<typeof ApplicationInfoSchema>;

/** GET {base}/v1/applications: the applications the issuer offers. */
export const ApplicationsAnswerSchema = wireBody({ applications: z.array(ApplicationInfoSchema) });

/** POST {base}/v1/packages: the request. */
export const PackageRequestSchema = wireBody({
  applicationId: text(64),
  deviceId: text(200),
  seSerial: text(64),
  /** The download job: the idempotency key (a repeated request gets the same package). */
  jobId: text(200),
});
export type PackageRequest = z.output<typeof PackageRequestSchema>;

/** An AID: 5 to 16 bytes (ISO/IEC 7816-4 §8.2.1.2, as GP Card Specification v2.3.1 §11.1.3 uses it). */
const aid = hexBytesBetween(5, 16);

/** POST {base}/v1/packages: the answer. */
export const IssuedPackageSchema = wireBody({
  /** The whole load file LOAD sends (GPCS v2.3.1 Table 11-58). */
  loadFile: hexBytesBetween(1, MAX_LOAD_FILE_LEN),
  packageAid: aid,
  moduleAid: aid,
  instanceAid: aid,
  /** INSTALL [for install] privileges: one byte, or three from GP Card Specification v2.2 on (GPCS v2.3.1 §11.1.2). */
  privileges: hexBytesBetween(1, 3).refine((b) => b.length !== 2, '1 or 3 bytes as hex'),
  /** Value of C9, or null; it goes inside INSTALL [for install]'s data (GPCS v2.3.1 Table 11-43), a short APDU. */
  installParams: hexBytesBetween(0, 200).nullable(),
  /** The issuer's card number (hex or digits), when the package personalises one. */
  cardNumber: text(40, /^[0-9A-Fa-f]+$/).nullable(),
});
export type IssuedPackage = z.output<typeof IssuedPackageSchema>;

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
