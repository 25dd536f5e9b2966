/** The browser's cross-site guard shared by the platform's console and the pages' own servers. */
import type { IncomingMessage } from 'node:http';

/** Origin (sent by browsers on POST) must name the host the request was sent to. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser's cross-site request (curl, scripts)
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
