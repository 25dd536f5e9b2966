/**
 * The issuer interface's HTTP binding (docs/flows.md §4): an IssuerAdapter that asks a remote
 * issuer server. JSON over HTTPS in production (the URL decides), bytes as lower-case hex:
 *
 *   GET  {base}/v1/applications            -> { applications: ApplicationInfo[] }
 *   POST {base}/v1/packages                 <- { applicationId, deviceId, seSerial, jobId }
 *                                           -> { loadFile, packageAid, moduleAid, instanceAid,
 *                                                privileges, installParams|null, cardNumber|null }
 *
 * jobId is the idempotency key: the server answers a repeated request with the same package. A
 * non-2xx answer is ISSUER_REFUSED (its { error } text kept), a network failure ISSUER_UNREACHABLE.
 */
import { IssuerError, type ApplicationInfo, type IssuedPackage, type IssuerAdapter, type IssuerKind, type PackageRequest } from '../../../../contracts/issuer';

interface PackageJson {
  loadFile: string;
  packageAid: string;
  moduleAid: string;
  instanceAid: string;
  privileges: string;
  installParams: string | null;
  cardNumber: string | null;
}

const HEX = /^([0-9a-f]{2})*$/;

function bytes(field: string, value: unknown): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value)) throw new IssuerError(`issuer answer: ${field}: expected lower-case hex`, 'ISSUER_REFUSED');
  return Buffer.from(value, 'hex');
}

export class HttpIssuer implements IssuerAdapter {
  /** applications come from the caller (fetched once with HttpIssuer.connect). */
  private constructor(
    readonly issuer: IssuerKind,
    private readonly base: string,
    private readonly apps: ApplicationInfo[],
  ) {}

  static async connect(issuer: IssuerKind, baseUrl: string): Promise<HttpIssuer> {
    const base = baseUrl.replace(/\/$/, '');
    const body = (await call(`${base}/v1/applications`, { method: 'GET' })) as { applications?: ApplicationInfo[] };
    if (!Array.isArray(body.applications)) throw new IssuerError('issuer answer: applications: expected an array', 'ISSUER_REFUSED');
    return new HttpIssuer(issuer, base, body.applications.map((a) => ({ ...a, issuer })));
  }

  applications(): ApplicationInfo[] {
    return this.apps;
  }

  async issuePackage(req: PackageRequest): Promise<IssuedPackage> {
    const j = (await call(`${this.base}/v1/packages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req),
    })) as PackageJson;
    return {
      loadFile: bytes('loadFile', j.loadFile),
      packageAid: bytes('packageAid', j.packageAid),
      moduleAid: bytes('moduleAid', j.moduleAid),
      instanceAid: bytes('instanceAid', j.instanceAid),
      privileges: bytes('privileges', j.privileges),
      installParams: j.installParams === null ? null : bytes('installParams', j.installParams),
      cardNumber: j.cardNumber ?? null,
    };
  }
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new IssuerError(`issuer ${url}: ${(err as Error).message}`, 'ISSUER_UNREACHABLE');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new IssuerError(`issuer ${url}: answer is not JSON (HTTP ${res.status})`, 'ISSUER_REFUSED');
  }
  if (!res.ok) throw new IssuerError(`issuer ${url}: HTTP ${res.status} ${(body as { error?: string }).error ?? ''}`.trim(), 'ISSUER_REFUSED');
  return body;
}
