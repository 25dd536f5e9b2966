/**
 * The issuer interface's HTTP binding (docs/flows.md §4): an IssuerAdapter that asks a remote
 * issuer server. JSON over HTTPS in production (the URL decides); the bodies are the schemas in
 * contracts/issuer.ts (bytes as hex):
 *
 *   GET  {base}/v1/applications  -> ApplicationsAnswerSchema
 *   POST {base}/v1/packages      <- PackageRequestSchema  -> IssuedPackageSchema
 *
 * jobId is the idempotency key: the server answers a repeated request with the same package. A
 * non-2xx answer is ISSUER_REFUSED (its { error } text kept), and so is an answer that does not
 * fit its schema; a network failure is ISSUER_UNREACHABLE.
 */
import type { z } from 'zod';
import {
  ApplicationsAnswerSchema,
  IssuedPackageSchema,
  IssuerError,
  type ApplicationInfo,
  type IssuedPackage,
  type IssuerAdapter,
  type IssuerKind,
  type PackageRequest,
} from '../../../../contracts/issuer';
import { parseWire, ValidationError } from '../../../../contracts/wire-schema';

export class HttpIssuer implements IssuerAdapter {
  /** applications come from the caller (fetched once with HttpIssuer.connect). */
  private constructor(
    readonly issuer: IssuerKind,
    private readonly base: string,
    private readonly apps: ApplicationInfo[],
  ) {}

  static async connect(issuer: IssuerKind, baseUrl: string): Promise<HttpIssuer> {
    const base = baseUrl.replace(/\/$/, '');
    const url = `${base}/v1/applications`;
    const body = answer(url, ApplicationsAnswerSchema, await call(url, { method: 'GET' }));
    return new HttpIssuer(issuer, base, body.applications.map((a) => ({ ...a, issuer })));
  }

  applications(): ApplicationInfo[] {
    return this.apps;
  }

  async issuePackage(req: PackageRequest): Promise<IssuedPackage> {
    const url = `${this.base}/v1/packages`;
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) };
    return answer(url, IssuedPackageSchema, await call(url, init));
  }
}

/** An issuer's answer decoded by its schema; one that does not fit is the issuer's refusal. */
function answer<T extends z.ZodObject>(url: string, schema: T, body: unknown): z.output<T> {
  try {
    return parseWire(schema, body);
  } catch (err) {
    if (err instanceof ValidationError) throw new IssuerError(`issuer ${url}: answer: ${err.message}`, 'ISSUER_REFUSED');
    throw err;
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
