/**
 * A platform's data directory and the handle every platform command works through.
 *
 *   <dir>/platform.db    SQLite (WAL): devices, SEs, jobs, terminals, audit log, sealed keys; or,
 *                        with a postgres:// database (--db, TAPCARD_DB), the same tables there
 *   <dir>/parties.db     the simulated outside parties' own store (cli/parties-store.ts; with
 *                        PostgreSQL, the `parties` schema of the same database)
 *   <dir>/ca.pem         the platform CA certificate (public; give it to an external broker)
 *   <dir>/storage.key    DEVELOPMENT ONLY: the storage key, when TAPCARD_STORAGE_KEY is not set
 *
 * `initPlatform` creates them once: storage key, CA, master key KMC, the embedded broker's TLS
 * certificate, the platform's own MQTT client certificate and password. Every secret goes into the
 * key store sealed; only KCVs, serials and file names come back for display.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { audit } from './db/audit';
import { nowIso, openDatabase, type PlatformDb } from './db/database';
import { isPostgresUrl } from './db/postgres';
import { KeyStore, OWNER_PLATFORM } from './db/key-store';
import { META, getMeta, setMeta } from './db/meta';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from './pki/certificates';
import { aesKcv } from './pki/diversify';
import { newSecret } from './pki/secrets';
import { STORAGE_KEY_ENV, StorageKey, loadStorageKey, writeStorageKeyFile } from './pki/storage-key';
import { rotateOperatorCredential } from './web/operator-credential';

export const DEFAULT_DATA_DIR = './.tapcard/platform';
export const DB_FILE = 'platform.db';
/** The database when neither --db nor this names one: DIR/platform.db (SQLite). */
export const DB_ENV = 'TAPCARD_DB';
export const CA_CERT_FILE = 'ca.pem';
/** Default broker URL written into bundles until `provision --broker` or `init --broker-url` says otherwise. */
export const DEFAULT_BROKER_URL = 'mqtt://127.0.0.1:1883';

/** Key store purposes of the platform's own secrets. */
export const PLATFORM_KEYS = {
  KMC: 'kmc',
  CA_KEY: 'ca-key',
  BROKER_SERVER_KEY: 'broker-server-key',
  PLATFORM_CLIENT_KEY: 'platform-client-key',
  BROKER_PASSWORD: 'broker-password',
} as const;

/** The platform principal's MQTT user name (plain listener) and certificate CN. */
export const PLATFORM_PRINCIPAL = 'platform';

export class PlatformHomeError extends Error {
  readonly code = 'PLATFORM_HOME';
}

export interface InitOptions {
  /** Shown in the CA's name. */
  name?: string;
  brokerUrl?: string;
  /** Host names/addresses for the embedded broker's TLS certificate (default localhost, 127.0.0.1, ::1). */
  brokerHosts?: string[];
  env?: NodeJS.ProcessEnv;
  /** postgres:// URL or SQLite file (default: TAPCARD_DB, else DIR/platform.db). */
  db?: string;
}

export interface InitSummary {
  dataDir: string;
  dbFile: string;
  caCertFile: string;
  storageKey: { source: 'env' | 'file'; file: string | null; kcv: string };
  kmcKcv: string;
  brokerUrl: string;
  /** The operator console's credential, shown once (only its hash is kept). */
  operatorCredential: string;
}

export async function initPlatform(dataDir: string, options: InitOptions = {}): Promise<InitSummary> {
  const env = options.env ?? process.env;
  const dir = path.resolve(dataDir);
  const dbFile = databaseTarget(dir, env, options.db);
  if (!isPostgresUrl(dbFile) && existsSync(dbFile)) throw new PlatformHomeError(`${dir} already holds a platform (${DB_FILE}); refusing to initialise it again`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const fromEnv = env[STORAGE_KEY_ENV] !== undefined && env[STORAGE_KEY_ENV] !== '';
  const storageKey = fromEnv ? loadStorageKey(dir, env) : StorageKey.generate();
  const keyFile = fromEnv ? null : writeStorageKeyFile(dir, storageKey);

  const name = options.name ?? 'dev';
  const ca = await createCertificateAuthority(name);
  const brokerCert = await issueCertificate(ca, { role: 'broker', commonName: 'tapcard-broker', hosts: options.brokerHosts });
  const platformCert = await issueCertificate(ca, { role: 'platform', commonName: PLATFORM_PRINCIPAL });
  const kmc = randomBytes(16);
  const kmcKcv = aesKcv(kmc);
  const brokerUrl = options.brokerUrl ?? DEFAULT_BROKER_URL;

  const db = openDatabase(dbFile);
  let operatorCredential = '';
  try {
    if (getMeta(db, META.CA_CERT) !== undefined) throw new PlatformHomeError(`${redactDbUrl(dbFile)} already holds a platform; refusing to initialise it again`);
    const keys = new KeyStore(db, storageKey);
    db.transaction(() => {
      keys.put(OWNER_PLATFORM, PLATFORM_KEYS.KMC, kmc, kmcKcv);
      keys.put(OWNER_PLATFORM, PLATFORM_KEYS.CA_KEY, Buffer.from(ca.keyPem, 'utf8'));
      keys.put(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_SERVER_KEY, Buffer.from(brokerCert.keyPem, 'utf8'));
      keys.put(OWNER_PLATFORM, PLATFORM_KEYS.PLATFORM_CLIENT_KEY, Buffer.from(platformCert.keyPem, 'utf8'));
      keys.put(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_PASSWORD, Buffer.from(newSecret(), 'utf8'));
      setMeta(db, META.CREATED_AT, nowIso());
      setMeta(db, META.CA_CERT, ca.certPem);
      setMeta(db, META.BROKER_SERVER_CERT, brokerCert.certPem);
      setMeta(db, META.PLATFORM_CLIENT_CERT, platformCert.certPem);
      setMeta(db, META.BROKER_URL, brokerUrl);
      operatorCredential = rotateOperatorCredential(db);
      audit(db, 'cli', 'platform.init', null, {
        kmcKcv,
        storageKeyKcv: storageKey.kcv(),
        storageKeySource: fromEnv ? 'env' : 'file',
        brokerCertSerial: brokerCert.serial,
        platformCertSerial: platformCert.serial,
      });
    })();
  } finally {
    kmc.fill(0);
    db.close();
  }
  const caCertFile = path.join(dir, CA_CERT_FILE);
  writeFileSync(caCertFile, ca.certPem, { mode: 0o644 });
  const summary: InitSummary = {
    dataDir: dir,
    dbFile: redactDbUrl(dbFile),
    caCertFile,
    storageKey: { source: fromEnv ? 'env' : 'file', file: keyFile, kcv: storageKey.kcv() },
    kmcKcv,
    brokerUrl,
    operatorCredential,
  };
  storageKey.wipe();
  return summary;
}

/** An open, initialised platform: database, key store and the public material. */
export class Platform {
  private constructor(
    readonly dataDir: string,
    /** The database it was opened on: a SQLite file or a postgres:// URL. */
    readonly dbTarget: string,
    readonly db: PlatformDb,
    readonly storageKey: StorageKey,
    readonly keys: KeyStore,
  ) {}

  /**
   * Opens dataDir (and the database db names, default TAPCARD_DB, else DIR/platform.db); fails
   * clearly when it is not initialised or the storage key does not fit.
   */
  static open(dataDir: string, env: NodeJS.ProcessEnv = process.env, db?: string): Platform {
    const dir = path.resolve(dataDir);
    const dbFile = databaseTarget(dir, env, db);
    if (!isPostgresUrl(dbFile) && !existsSync(dbFile)) throw new PlatformHomeError(`no platform in ${dir}: run 'tapcard platform init --data ${dataDir}' first`);
    const storageKey = loadStorageKey(dir, env);
    const opened = openDatabase(dbFile);
    try {
      if (getMeta(opened, META.CA_CERT) === undefined) throw new PlatformHomeError(`${redactDbUrl(dbFile)} is not an initialised platform database`);
      const keys = new KeyStore(opened, storageKey);
      keys.get(OWNER_PLATFORM, PLATFORM_KEYS.KMC).fill(0); // proves the storage key opens this platform's secrets
      return new Platform(dir, dbFile, opened, storageKey, keys);
    } catch (err) {
      opened.close();
      storageKey.wipe();
      throw err;
    }
  }

  caCertPem(): string {
    return getMeta(this.db, META.CA_CERT) as string;
  }

  /** The CA with its private key, for issuing certificates; the caller drops it after use. */
  certificateAuthority(): CertificateAuthority {
    return { certPem: this.caCertPem(), keyPem: this.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.CA_KEY).toString('utf8') };
  }

  brokerUrl(): string {
    return getMeta(this.db, META.BROKER_URL) ?? DEFAULT_BROKER_URL;
  }

  close(): void {
    this.db.close();
    this.storageKey.wipe();
  }
}

/** Where the platform's tables live: the explicit target, TAPCARD_DB, or DIR/platform.db. */
function databaseTarget(dir: string, env: NodeJS.ProcessEnv, explicit: string | undefined): string {
  const named = explicit ?? env[DB_ENV];
  return named === undefined || named === '' ? path.join(dir, DB_FILE) : named;
}

/** A database URL without its password, for output and errors. */
export function redactDbUrl(target: string): string {
  if (!isPostgresUrl(target)) return target;
  try {
    const u = new URL(target);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
