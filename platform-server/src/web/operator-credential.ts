/**
 * The operator console's credential: one secret made at `tapcard platform init`, shown once, and
 * kept only as its scrypt hash (pki/secrets.ts) in platform_meta. `rotateOperatorCredential`
 * replaces it with a new random one, `setOperatorCredential` with one the operator chose
 * (`tapcard platform operator-password`); the old one stops working at once, and the console's
 * sessions opened with it end (console-api.ts compares the stored hash).
 */
import type { PlatformDb } from '../db/database';
import { getMeta, setMeta } from '../db/meta';
import { hashSecret, newSecret, verifySecretAsync } from '../pki/secrets';

export const OPERATOR_CREDENTIAL_META = 'operator.credential_hash';

/** Makes a new operator secret, stores its hash and returns the secret (not stored anywhere). */
export function rotateOperatorCredential(db: PlatformDb): string {
  const secret = newSecret();
  setMeta(db, OPERATOR_CREDENTIAL_META, hashSecret(secret));
  return secret;
}

/** Bounds of an operator-chosen credential, in characters. */
export const OPERATOR_CREDENTIAL_MIN = 12;
export const OPERATOR_CREDENTIAL_MAX = 256;

export class OperatorCredentialError extends Error {}

/** Stores the hash of a credential the operator chose; refuses one out of bounds or with control characters. */
export function setOperatorCredential(db: PlatformDb, secret: string): void {
  if (secret.length < OPERATOR_CREDENTIAL_MIN) throw new OperatorCredentialError(`the operator credential needs at least ${OPERATOR_CREDENTIAL_MIN} characters`);
  if (secret.length > OPERATOR_CREDENTIAL_MAX) throw new OperatorCredentialError(`the operator credential has at most ${OPERATOR_CREDENTIAL_MAX} characters`);
  if (/[\u0000-\u001f\u007f]/.test(secret)) throw new OperatorCredentialError('the operator credential may not hold control characters');
  setMeta(db, OPERATOR_CREDENTIAL_META, hashSecret(secret));
}

/** The stored hash: changes whenever the credential does, so sessions opened under an older one can be ended. */
export function operatorCredentialStamp(db: PlatformDb): string | undefined {
  return getMeta(db, OPERATOR_CREDENTIAL_META);
}

/** True when secret is the operator's; false on a wrong one or a platform without an operator credential. */
export async function verifyOperatorCredential(db: PlatformDb, secret: string): Promise<boolean> {
  const stored = getMeta(db, OPERATOR_CREDENTIAL_META);
  if (stored === undefined || secret.length === 0 || secret.length > 256) return false;
  return verifySecretAsync(secret, stored);
}
