/**
 * One card's install package as the issuer interface hands it over (contracts/issuer.ts
 * IssuedPackage): the core package builder (firmware/src/core/package) over a card request, with
 * the card keys wiped from the spec and the scratch buffers once the file is built. Used by the
 * transit, bank and merchant servers.
 */
import { randomInt } from 'node:crypto';
import type { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { encodeBcd } from '../firmware/src/core/package/bcd';
import { encodeLoadFileDataBlock, encodePackageBody } from '../firmware/src/core/package/builder';
import { makePackageSpec, type CardPackageRequest } from '../firmware/src/core/package/card-package';
import { IssuerError, type IssuedPackage } from '../contracts/issuer';

const PACKAGE_BUFFER = 16384;

/** A fresh 20-digit card number: prefix then random digits. */
export function newCardNumber(prefix: string): string {
  let digits = prefix;
  while (digits.length < 20) digits += String(randomInt(0, 10));
  return digits;
}

export function cardNumberBcd(digits: string): Uint8Array {
  const bcd = encodeBcd(digits, 10);
  if (bcd === null || digits.length !== 20) throw new IssuerError(`card number '${digits}' is not 20 digits`, 'ISSUER_REFUSED');
  return bcd;
}

/** pboc: the DES engines of the purse card keys (makePackageSpec); the portable ones when undefined. */
export function issueCardPackage(request: CardPackageRequest, cardNumber: string, pboc?: PbocCrypto): IssuedPackage {
  const spec = makePackageSpec(request, pboc);
  const body = new Uint8Array(PACKAGE_BUFFER);
  const out = new Uint8Array(PACKAGE_BUFFER + 8);
  try {
    const n = encodePackageBody(spec, body, 0);
    const len = n < 0 ? -1 : encodeLoadFileDataBlock(body, 0, n, null, out);
    if (len < 0) throw new IssuerError('package does not fit the package buffer', 'ISSUER_REFUSED');
    return {
      loadFile: out.slice(0, len),
      packageAid: spec.packageAid,
      moduleAid: spec.moduleAid,
      instanceAid: spec.instanceAid,
      privileges: spec.privileges,
      installParams: null,
      cardNumber,
    };
  } finally {
    body.fill(0);
    out.fill(0);
    for (const k of spec.keys) k.value.fill(0);
  }
}
