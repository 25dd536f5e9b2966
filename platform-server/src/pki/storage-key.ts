/**
 * The platform storage key: every secret the platform keeps at rest (master key KMC, CA key, link
 * keys, broker credentials) is sealed with it, AES-256-GCM, bound to where it is stored by the AAD.
 *
 *   sealed = 01 (format) | IV (12) | tag (16) | ciphertext
 *
 * Where it comes from (loadStorageKey): the environment variable TAPCARD_STORAGE_KEY (64 hex digits,
 * for deployments that inject it from a secret manager) or, as the DEVELOPMENT default, the file
 * <data dir>/storage.key that `tapcard platform init` writes with mode 0600 next to the database.
 * A key file beside the database protects nothing against whoever can read the directory; it keeps
 * keys out of the database file, backups and logs. See platform-server/README.md.
 *
 * The key lives in a private field and prints as its check value only, so logging the object
 * cannot leak it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';

export const STORAGE_KEY_ENV = 'TAPCARD_STORAGE_KEY';
export const STORAGE_KEY_FILE = 'storage.key';

const FORMAT = 0x01;
const IV_LEN = 12;
const TAG_LEN = 16;
const KEY_LEN = 32;

export class StorageKeyError extends Error {
  readonly code = 'STORAGE_KEY';
}

export class StorageKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  static generate(): StorageKey {
    return new StorageKey(randomBytes(KEY_LEN));
  }

  static fromHex(hex: string): StorageKey {
    const clean = hex.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(clean)) {
      throw new StorageKeyError(`storage key: expected 64 hex digits (AES-256), got ${clean.length} characters`);
    }
    return new StorageKey(Buffer.from(clean, 'hex'));
  }

  /** The key as hex, for writing the development key file only. */
  exportHex(): string {
    return this.#key.toString('hex');
  }

  /** Key check value: first 3 bytes of AES-256-ECB(16 x 01), as for card keys (docs/standards.md "Keys"). */
  kcv(): string {
    const c = createCipheriv('aes-256-ecb', this.#key, null);
    c.setAutoPadding(false);
    return c.update(Buffer.alloc(16, 1)).subarray(0, 3).toString('hex');
  }

  seal(plain: Uint8Array, aad: string): Buffer {
    const iv = randomBytes(IV_LEN);
    const c = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_LEN });
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.of(FORMAT), iv, c.getAuthTag(), ct]);
  }

  /** Opens a sealed blob; throws StorageKeyError when it was sealed elsewhere, under another key, or altered. */
  open(sealed: Uint8Array, aad: string): Buffer {
    const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (b.length < 1 + IV_LEN + TAG_LEN || b[0] !== FORMAT) {
      throw new StorageKeyError(`sealed secret '${aad}': unknown format`);
    }
    const d = createDecipheriv('aes-256-gcm', this.#key, b.subarray(1, 1 + IV_LEN), { authTagLength: TAG_LEN });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(b.subarray(1 + IV_LEN, 1 + IV_LEN + TAG_LEN));
    try {
      return Buffer.concat([d.update(b.subarray(1 + IV_LEN + TAG_LEN)), d.final()]);
    } catch {
      throw new StorageKeyError(`sealed secret '${aad}' does not open under storage key ${this.kcv()}: wrong key or altered data`);
    }
  }

  wipe(): void {
    this.#key.fill(0);
  }

  [inspect.custom](): string {
    return `StorageKey { kcv: '${this.kcv()}' }`;
  }

  toJSON(): { kcv: string } {
    return { kcv: this.kcv() };
  }
}

/** Environment first, then the development key file; throws naming both when neither exists. */
export function loadStorageKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): StorageKey {
  const fromEnv = env[STORAGE_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return StorageKey.fromHex(fromEnv);
  const file = `${dataDir}/${STORAGE_KEY_FILE}`;
  if (!existsSync(file)) {
    throw new StorageKeyError(`no storage key: set ${STORAGE_KEY_ENV} or run 'tapcard platform init --data ${dataDir}' (writes ${file})`);
  }
  return StorageKey.fromHex(readFileSync(file, 'utf8'));
}

/** Writes the development key file (mode 0600); refuses to overwrite one. */
export function writeStorageKeyFile(dataDir: string, key: StorageKey): string {
  const file = `${dataDir}/${STORAGE_KEY_FILE}`;
  writeFileSync(file, key.exportHex() + '\n', { mode: 0o600, flag: 'wx' });
  return file;
}
