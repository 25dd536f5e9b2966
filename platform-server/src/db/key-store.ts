/**
 * Secrets at rest in the key_store table, each sealed with the platform storage key and bound by
 * the AAD to its row (owner/purpose/version), so a sealed blob copied into another row does not
 * open. Only KCVs are ever logged or shown; get() hands back a Buffer the caller wipes after use.
 */
import type { StorageKey } from '../pki/storage-key';
import { nowIso, type PlatformDb } from './database';

export const OWNER_PLATFORM = 'platform';

export function deviceOwner(deviceId: string): string {
  return `device:${deviceId}`;
}

export class KeyStore {
  constructor(
    private readonly db: PlatformDb,
    private readonly storageKey: StorageKey,
  ) {}

  /** Stores a new secret; throws if (owner, purpose, version) is already taken. */
  put(owner: string, purpose: string, secret: Uint8Array, kcv: string | null = null, version = 1): void {
    const sealed = this.storageKey.seal(secret, aad(owner, purpose, version));
    this.db
      .prepare('INSERT INTO key_store (owner, purpose, version, sealed, kcv, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(owner, purpose, version, sealed, kcv, nowIso());
  }

  /** The secret (highest version unless given); throws when absent. The caller wipes it. */
  get(owner: string, purpose: string, version?: number): Buffer {
    const row = this.row(owner, purpose, version);
    if (row === undefined) throw new Error(`key store: no '${purpose}' for ${owner}`);
    return this.storageKey.open(row.sealed, aad(owner, purpose, row.version));
  }

  has(owner: string, purpose: string): boolean {
    return this.row(owner, purpose) !== undefined;
  }

  kcv(owner: string, purpose: string): string | null {
    return this.row(owner, purpose)?.kcv ?? null;
  }

  private row(owner: string, purpose: string, version?: number): { sealed: Buffer; version: number; kcv: string | null } | undefined {
    const sql =
      version === undefined
        ? 'SELECT sealed, version, kcv FROM key_store WHERE owner = ? AND purpose = ? ORDER BY version DESC LIMIT 1'
        : 'SELECT sealed, version, kcv FROM key_store WHERE owner = ? AND purpose = ? AND version = ?';
    const args = version === undefined ? [owner, purpose] : [owner, purpose, version];
    return this.db.prepare(sql).get(...args) as { sealed: Buffer; version: number; kcv: string | null } | undefined;
  }
}

function aad(owner: string, purpose: string, version: number): string {
  return `tapcard/key_store/${owner}/${purpose}/${version}`;
}
