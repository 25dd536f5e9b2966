/**
 * Issuer package signatures, made and checked on the Node side (the issuer and the platform): the
 * SE's portable core has no Ed25519, so it does not verify them; the platform checks a package's
 * signature before it sends the package to an SE (docs/package-format.md "What is verified where").
 *
 * Ed25519 (RFC 8032) through node-forge, the project's PKI library, over the package body (A0..A4,
 * package/builder.ts). The key id is the first 8 bytes of SHA-256(public key).
 *
 * Development issuers (issuer id N) sign with a key whose 32-byte seed is
 * SHA-256("tapcard development issuer signing key " + N): published, so DEVELOPMENT ONLY.
 */
import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { encodeLoadFileDataBlock, encodePackageBody, type PackageSignature, type PackageSpec } from '../firmware/src/core/package/builder';
import { SIGNATURE_ED25519, SIGNATURE_KEY_ID_LEN } from '../firmware/src/core/package/format';
import type { ParsedPackage } from '../firmware/src/core/package/parser';

export const ED25519_SEED_LEN = 32;
/** Room for the body of any package the CLI builds (resources up to the 82 xx xx TLV limit). */
const MAX_BODY = 0x10000;

export interface IssuerSigningKey {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  keyId: Uint8Array;
}

function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function issuerKeyId(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, SIGNATURE_KEY_ID_LEN);
}

/** An issuer's signing key from its 32-byte Ed25519 seed. */
export function signingKeyFromSeed(seed: Uint8Array): IssuerSigningKey {
  if (seed.length !== ED25519_SEED_LEN) throw new Error(`Ed25519 seed: expected ${ED25519_SEED_LEN} bytes, got ${seed.length}`);
  const pair = forge.pki.ed25519.generateKeyPair({ seed: Buffer.from(seed) });
  const publicKey = new Uint8Array(pair.publicKey);
  return { publicKey, privateKey: new Uint8Array(pair.privateKey), keyId: issuerKeyId(publicKey) };
}

/** The published development signing key of issuer `issuerId`. DEVELOPMENT ONLY. */
export function devIssuerSigningKey(issuerId: number): IssuerSigningKey {
  return signingKeyFromSeed(sha256(`tapcard development issuer signing key ${issuerId}`));
}

export function signPackageBody(body: Uint8Array, key: IssuerSigningKey): PackageSignature {
  const value = forge.pki.ed25519.sign({ message: Buffer.from(body), privateKey: Buffer.from(key.privateKey) });
  return { algorithm: SIGNATURE_ED25519, keyId: key.keyId, value: new Uint8Array(value) };
}

/** The package file (C4 ...) for a spec, signed when a key is given. */
export function buildPackageFile(spec: PackageSpec, key: IssuerSigningKey | null): Uint8Array {
  const body = new Uint8Array(MAX_BODY);
  const bodyLen = encodePackageBody(spec, body, 0);
  if (bodyLen < 0) throw new Error(`package body does not fit ${MAX_BODY} bytes: shorten the resources`);
  const signature = key === null ? null : signPackageBody(body.subarray(0, bodyLen), key);
  const out = new Uint8Array(bodyLen + 128);
  const n = encodeLoadFileDataBlock(body, 0, bodyLen, signature, out);
  if (n < 0) throw new Error('package does not fit a Load File Data Block (at most 65535 bytes)');
  return out.slice(0, n);
}

export type SignatureCheck = 'unsigned' | 'valid' | 'invalid' | 'unknown-key';

/** Checks a parsed package's signature against the issuer's public key; a malformed package is 'invalid'. */
export function verifyPackageSignature(file: Uint8Array, parsed: ParsedPackage, publicKey: Uint8Array): SignatureCheck {
  if (parsed.error !== '') return 'invalid';
  const sig = parsed.signature;
  if (sig === null) return 'unsigned';
  if (sig.algorithm !== SIGNATURE_ED25519 || Buffer.compare(Buffer.from(sig.keyId), Buffer.from(issuerKeyId(publicKey))) !== 0) return 'unknown-key';
  const signed = file.subarray(parsed.signedOff, parsed.signedOff + parsed.signedLen);
  const ok = forge.pki.ed25519.verify({ message: Buffer.from(signed), signature: Buffer.from(sig.value), publicKey: Buffer.from(publicKey) });
  return ok ? 'valid' : 'invalid';
}
