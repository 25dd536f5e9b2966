/**
 * The terminal's side of the platform's terminal API (docs/terminal-api.md): JSON over HTTP with
 * the terminal's id and bearer key on every request. An answer other than 2xx becomes a typed
 * error the POS flows act on: declined (no money moved), unknown card, bad credentials, conflict.
 */
import type { z } from 'zod';
import { CardProofError, PurseDeclinedError } from '../../../contracts/purse-errors';
import { encodeWire, parseWire } from '../../../contracts/wire-schema';

export interface PlatformEndpoint {
  /** The platform's HTTP API, e.g. http://127.0.0.1:8080. */
  url: string;
  terminalId: string;
  terminalKey: string;
}

/** The platform refused the terminal's credentials (401) or its role (403). Nothing changed. */
export class TerminalAuthError extends Error {
  readonly code = 'UNAUTHORISED';

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'TerminalAuthError';
  }
}

/** The issuer does not know the card (404). */
export class UnknownCardError extends Error {
  readonly code = 'NOT_FOUND';

  constructor(message: string) {
    super(message);
    this.name = 'UnknownCardError';
  }
}

/** Any other refusal: conflict with the ledger (409), bad request (400), platform trouble. */
export class PlatformError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PlatformError';
  }
}

/** The platform could not be reached at all. */
export class PlatformUnreachableError extends Error {
  readonly code = 'UNAVAILABLE';
}

export class PlatformClient {
  constructor(private readonly endpoint: PlatformEndpoint) {}

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** POSTs `request` encoded with its schema and decodes the answer with the answer's schema (contracts/). */
  async exchange<Q extends z.ZodObject, A extends z.ZodObject>(path: string, request: Q, body: z.output<Q>, answer: A): Promise<z.output<A>> {
    return parseWire(answer, await this.post<unknown>(path, encodeWire(request, body)));
  }

  /** GETs `path` and decodes the answer with its schema. */
  async read<A extends z.ZodObject>(path: string, answer: A): Promise<z.output<A>> {
    return parseWire(answer, await this.get<unknown>(path));
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path, undefined);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown): Promise<T> {
    const url = this.endpoint.url.replace(/\/$/, '') + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.endpoint.terminalKey}`,
          'tapcard-terminal': this.endpoint.terminalId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new PlatformUnreachableError(`platform ${this.endpoint.url}: ${(e as Error).message}`);
    }
    const text = await res.text();
    let json: { error?: string; code?: string } & Record<string, unknown>;
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new PlatformError(`platform ${path}: answer is not JSON (HTTP ${res.status})`, res.status, 'BAD_ANSWER');
    }
    if (res.ok) return json as T;
    const message = `platform: ${json.error ?? `HTTP ${res.status}`}`;
    const code = json.code ?? 'HTTP';
    if (res.status === 401 || res.status === 403) throw new TerminalAuthError(message, res.status);
    if (code === 'UNKNOWN_CARD') throw new UnknownCardError(message);
    if (code === 'DECLINED' || code === 'INSUFFICIENT_FUNDS') throw new PurseDeclinedError(json.error ?? code);
    if (code === 'CARD_PROOF') throw new CardProofError('MAC1 of INITIALIZE FOR LOAD');
    throw new PlatformError(message, res.status, code);
  }
}
