/**
 * The terminal's download request to the platform (TAR_DOWNLOAD_REQUEST; ARCHITECTURE.md flow 2,
 * "the user picks an application"): the application id as ASCII, 1..32 characters of a-z 0-9 -.
 * The platform answers with "job:<id>" or a refusal text.
 */
export const APP_ID_MAX = 32;

function isIdChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

/** ASCII bytes of the id; throws for an id outside the alphabet (a caller error). */
export function encodeDownloadRequest(applicationId: string): Uint8Array {
  const n = applicationId.length;
  if (n < 1 || n > APP_ID_MAX) throw new Error('download request: application id must be 1..' + APP_ID_MAX + ' characters');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = applicationId.charCodeAt(i);
    if (!isIdChar(c)) throw new Error('download request: application id may hold a-z, 0-9 and - only');
    out[i] = c;
  }
  return out;
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
