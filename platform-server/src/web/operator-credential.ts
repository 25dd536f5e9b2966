/**
 * The operator console's credential: one secret made at `tapcard platform init`, shown once, and
 * kept only as its scrypt hash (pki/secrets.ts) in platform_meta. `rotateOperatorCredential`
 * replaces it (the old one stops working at once).
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

/** True when secret is the operator's; false on a wrong one or a platform without an operator credential. */
export async function verifyOperatorCredential(db: PlatformDb, secret: string): Promise<boolean> {
  const stored = getMeta(db, OPERATOR_CREDENTIAL_META);
  if (stored === undefined || secret.length === 0 || secret.length > 256) return false;
  return verifySecretAsync(secret, stored);
}
