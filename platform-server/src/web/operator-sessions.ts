/**
 * Operator console sessions, in memory (a platform restart logs operators out): a login with the
 * operator credential gets a random session id in a cookie that scripts cannot read (HttpOnly) and
 * that the browser sends on same-site requests only (SameSite=Strict), and a separate CSRF token
 * the page must echo in a header on every state-changing request (OWASP CSRF Prevention Cheat
 * Sheet, "synchronizer token"). The Origin header, when the browser sends one, must be the
 * platform's own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { sameOrigin } from '../../../net/http/same-origin';

export const SESSION_COOKIE = 'tapcard_operator';
export const CSRF_HEADER = 'x-tapcard-csrf';
/** A session ends this long after login. */
const SESSION_TTL_MS = 8 * 3600_000;
/** Sessions held at once; the oldest goes first. */
const MAX_SESSIONS = 64;

export interface OperatorSession {
  id: string;
  csrf: string;
  expiresAt: number;
  /** The stored credential hash at login: the session ends when the credential changes. */
  credentialStamp: string;
}

export class OperatorSessions {
  private readonly sessions = new Map<string, OperatorSession>();

  open(credentialStamp: string): OperatorSession {
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const s = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), expiresAt: Date.now() + SESSION_TTL_MS, credentialStamp };
    this.sessions.set(s.id, s);
    return s;
  }

  close(id: string): void {
    this.sessions.delete(id);
  }

  /** The live session the request's cookie names, or null (also when the credential changed since its login). */
  of(req: IncomingMessage, credentialStamp: string | undefined): OperatorSession | null {
    const id = cookie(req, SESSION_COOKIE);
    const s = id === null ? undefined : this.sessions.get(id);
    if (s === undefined) return null;
    if (s.expiresAt <= Date.now() || s.credentialStamp !== credentialStamp) {
      this.sessions.delete(s.id);
      return null;
    }
    return s;
  }

  cookieFor(s: OperatorSession): string {
    return `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`;
  }

  static clearingCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

/** True when the request carries the session's CSRF token and, if the browser named one, our own origin. */
export function csrfOk(req: IncomingMessage, s: OperatorSession | null): boolean {
  if (!sameOrigin(req)) return false;
  if (s === null) return true; // login: no session yet, the origin check is the defence
  const given = Buffer.from(String(req.headers[CSRF_HEADER] ?? ''));
  const want = Buffer.from(s.csrf);
  return given.length === want.length && timingSafeEqual(given, want);
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
