/**
 * The terminal's download request to the platform (TAR_DOWNLOAD_REQUEST; ARCHITECTURE.md flow 2,
 * "the user picks an application"): the application id as ASCII, 1..32 characters of a-z 0-9 -.
 * The platform answers with "job:<id>", "busy:<reason>" (it cannot take the request now: ask again
 * later) or "refused:<reason>".
 */
export const APP_ID_MAX = 32;

function isIdChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

/** Writes the id's ASCII bytes into out; returns their count, or 0 for an id outside the alphabet. */
export function writeDownloadRequest(applicationId: string, out: Uint8Array): number {
  const n = applicationId.length;
  if (n < 1 || n > APP_ID_MAX || n > out.length) return 0;
  for (let i = 0; i < n; i++) {
    const c = applicationId.charCodeAt(i);
    if (!isIdChar(c)) return 0;
    out[i] = c;
  }
  return n;
}

/** The id in b[0, len), or '' when it is not a valid id. */
export function decodeDownloadRequest(b: Uint8Array, len: number): string {
  if (len < 1 || len > APP_ID_MAX || len > b.length) return '';
  let s = '';
  for (let i = 0; i < len; i++) {
    if (!isIdChar(b[i])) return '';
    s = s + String.fromCharCode(b[i]);
  }
  return s;
}
