/**
 * The cryptographic checksum of secured packets: AES-CMAC under KID, truncated to its 8 most
 * significant octets (ETSI TS 102 225 §5.1.3.1; pySim ota.py OtaAlgoAuthAES). Computed over an
 * optional fixed prefix and two ranges (the header and the secured data), so nothing is concatenated.
 */
import { copy, equalCt, fill } from '../bytes';
import { LinkKeyset } from './keyset';

export const CC_LEN = 8;

// Module scratch: checksums are computed synchronously and never re-entered.
const full = new Uint8Array(16);

function macInto(
  keys: LinkKeyset,
  prefix: Uint8Array | null,
  a: Uint8Array,
  aOff: number,
  aLen: number,
  b: Uint8Array,
  bOff: number,
  bLen: number,
): void {
  // KID is keyed once, before the key set is made, and never re-keyed while it serves (keyset.ts):
  // the CMAC subkeys (RFC 4493 §2.3) of the first packet serve every later one, one AES block less each.
  keys.mac.startSameKey();
  if (prefix !== null) keys.mac.update(prefix, 0, prefix.length);
  keys.mac.update(a, aOff, aLen);
  keys.mac.update(b, bOff, bLen);
  keys.mac.finish(full, 0);
}

export function computeChecksum(
  keys: LinkKeyset,
  prefix: Uint8Array | null,
  a: Uint8Array,
  aOff: number,
  aLen: number,
  b: Uint8Array,
  bOff: number,
  bLen: number,
  out: Uint8Array,
  outOff: number,
): void {
  macInto(keys, prefix, a, aOff, aLen, b, bOff, bLen);
  copy(full, 0, out, outOff, CC_LEN);
  fill(full, 0, 16, 0);
}

/** Recomputes the checksum over the same inputs and compares it in constant time with the CC_LEN octets at cc[ccOff]. */
export function checksumMatches(
  keys: LinkKeyset,
  prefix: Uint8Array | null,
  a: Uint8Array,
  aOff: number,
  aLen: number,
  b: Uint8Array,
  bOff: number,
  bLen: number,
  cc: Uint8Array,
  ccOff: number,
): boolean {
  macInto(keys, prefix, a, aOff, aLen, b, bOff, bLen);
  const same = equalCt(full, 0, cc, ccOff, CC_LEN);
  fill(full, 0, 16, 0);
  return same;
}

/** Zero padding octets needed to bring len up to a whole number of AES blocks. */
export function paddingFor(len: number): number {
  const r = len % 16;
  return r === 0 ? 0 : 16 - r;
}
