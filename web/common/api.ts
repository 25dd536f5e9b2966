/**
 * JSON over fetch for the pages. The operator console's session is a cookie the page cannot read;
 * state-changing requests carry the CSRF token the session gave (x-tapcard-csrf).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    if (csrf !== '') headers['x-tapcard-csrf'] = csrf;
    headers['x-tapcard-page'] = '1'; // the till's and the wallet's servers take POSTs from their own page only
  }
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await res.text();
  let data: unknown = {};
  try {
    data = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(res.status, `${res.status}: not JSON`);
  }
  if (!res.ok) throw new HttpError(res.status, (data as { error?: string }).error ?? `HTTP ${res.status}`);
  return data as T;
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}): Promise<T> => call<T>('POST', path, body);
