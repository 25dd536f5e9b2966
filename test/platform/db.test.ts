/**
 * Storage, on SQLite and on PostgreSQL alike (the same migrations and queries): numbered
 * migrations applied once (idempotent), a newer database refused, the audit log append-only,
 * secrets sealed under the storage key and bound to their row, link counters durable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { audit, listAudit } from '../../platform-server/src/db/audit';
import { openDatabase, type PlatformDb } from '../../platform-server/src/db/database';
import { SqliteDb } from '../../platform-server/src/db/sqlite';
import { KeyStore } from '../../platform-server/src/db/key-store';
import { DbCounterStore } from '../../platform-server/src/db/link-counters';
import { migrate } from '../../platform-server/src/db/migrate';
import { MIGRATIONS } from '../../platform-server/src/db/migrations';
import { insertDevice } from '../../platform-server/src/db/devices';
import { StorageKey, StorageKeyError } from '../../platform-server/src/pki/storage-key';
import { postgresMissing, usePostgres, type PostgresCluster } from '../helpers/postgres';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Engine {
  /** A new, empty database: a file path or a postgres:// URL. */
  fresh(): string;
  tables(db: PlatformDb): string[];
  /** The engine's stored bytes contain these (SQLite: the file; PostgreSQL: not inspected). */
  storedBytesContain(target: string, bytes: Buffer): boolean | null;
}

const sqlite: Engine = {
  fresh() {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-db-'));
    dirs.push(dir);
    return path.join(dir, 'platform.db');
  },
  tables: (db) =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name),
  storedBytesContain: (file, bytes) => readFileSync(file).includes(bytes),
};

let cluster: PostgresCluster | null = null;
const postgres: Engine = {
  fresh: () => (cluster as PostgresCluster).freshDatabase(),
  tables: (db) =>
    (db.prepare("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name").all() as { name: string }[]).map((r) => r.name),
  storedBytesContain: () => null,
};

const noPostgres = postgresMissing('platform database on PostgreSQL');
describe.skipIf(noPostgres)('PostgreSQL', () => {
  beforeAll(() => {
    cluster = usePostgres();
  });
  afterAll(() => cluster?.stop());
  storageSuite(postgres);
});
describe('SQLite', () => {
  it('runs in WAL mode', () => {
    const db = openDatabase(sqlite.fresh()) as SqliteDb;
    expect(db.native.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
  storageSuite(sqlite);
});

function storageSuite(engine: Engine): void {
  const dbFile = (): string => engine.fresh();

const TABLES = [
  'accounts', 'applications', 'audit_log', 'cards', 'device_leases', 'devices', 'installations', 'job_events', 'jobs', 'key_store',
  'ledger', 'link_counters', 'payer_authorisations', 'payment_notifications', 'payments', 'platform_meta', 'recharge_orders', 'schema_migrations', 'ses',
  'terminals',
];

describe('migrations', () => {
  it('creates the whole schema and applies nothing the second time', () => {
    const file = dbFile();
    const db = openDatabase(file, { migrate: false });
    expect(migrate(db).applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(engine.tables(db)).toEqual(TABLES);
    expect(migrate(db).applied).toEqual([]);
    db.close();
    const again = openDatabase(file);
    expect((again.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(MIGRATIONS.length);
    again.close();
  });

  it('applies only the new migration when one is added', () => {
    const db = openDatabase(dbFile());
    const next = { version: 999, name: 'test addition', sql: 'CREATE TABLE test_addition (x INTEGER)' };
    expect(migrate(db, [...MIGRATIONS, next]).applied).toEqual([999]);
    expect(migrate(db, [...MIGRATIONS, next]).applied).toEqual([]);
    db.close();
  });

  it('refuses a database migrated by a newer version', () => {
    const file = dbFile();
    const db = openDatabase(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(1000, 'future', 'x');
    db.close();
    expect(() => openDatabase(file)).toThrow(/migration 1000/);
  });

  it('rolls a failing migration back completely', () => {
    const db = openDatabase(dbFile());
    const broken = { version: 998, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);' };
    expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow();
    expect(engine.tables(db)).not.toContain('half');
    expect(db.prepare('SELECT version FROM schema_migrations WHERE version = 998').get()).toBeUndefined();
    db.close();
  });
});

describe('audit log', () => {
  it('appends and refuses updates and deletes', () => {
    const db = openDatabase(dbFile());
    audit(db, 'cli', 'device.provision', 'dev-1', { seSerial: '00' });
    expect(listAudit(db, 'dev-1')).toMatchObject([{ actor: 'cli', action: 'device.provision', detail: { seSerial: '00' } }]);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    db.close();
  });
});

describe('key store', () => {
  it('seals secrets so the database file never holds them in clear, and opens them again', () => {
    const file = dbFile();
    const db = openDatabase(file);
    const sk = StorageKey.generate();
    const keys = new KeyStore(db, sk);
    const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    keys.put('platform', 'kmc', secret, 'abcdef');
    expect(keys.get('platform', 'kmc').equals(secret)).toBe(true);
    expect(keys.kcv('platform', 'kmc')).toBe('abcdef');
    db.close();
    expect(engine.storedBytesContain(file, secret)).not.toBe(true);
  });

  it('refuses a blob moved to another row, and a wrong storage key', () => {
    const db = openDatabase(dbFile());
    const sk = StorageKey.generate();
    const keys = new KeyStore(db, sk);
    keys.put('device:a', 'link-kic', Buffer.alloc(16, 1));
    keys.put('device:b', 'link-kic', Buffer.alloc(16, 2));
    db.prepare("UPDATE key_store SET sealed = (SELECT sealed FROM key_store WHERE owner = 'device:a') WHERE owner = 'device:b'").run();
    expect(() => keys.get('device:b', 'link-kic')).toThrow(StorageKeyError);
    expect(() => new KeyStore(db, StorageKey.generate()).get('device:a', 'link-kic')).toThrow(StorageKeyError);
    db.close();
  });

  it('never shows the storage key when printed', () => {
    const sk = StorageKey.fromHex('11'.repeat(32));
    const shown = [inspect(sk), JSON.stringify(sk), String(sk)].join(' ');
    expect(shown).not.toContain('1111');
    expect(shown).toContain(sk.kcv());
  });
});

describe('link counters', () => {
  it('start at zero, persist across reopen, and are kept per device and direction', () => {
    const file = dbFile();
    let db = openDatabase(file);
    for (const id of ['a', 'b']) {
      insertDevice(db, { id, seSerial: id.repeat(20), isdKeyVersion: 0x30, certSerial: '01', certPem: 'x', brokerSecretHash: 'x' });
    }
    const out = new Uint8Array(5);
    new DbCounterStore(db, 'a', 'up').read(out, 0);
    expect([...out]).toEqual([0, 0, 0, 0, 0]);
    new DbCounterStore(db, 'a', 'up').write(Uint8Array.of(9, 0, 0, 0, 0, 1, 2, 3, 4, 5), 5);
    db.close();
    db = openDatabase(file);
    new DbCounterStore(db, 'a', 'up').read(out, 0);
    expect([...out]).toEqual([1, 2, 3, 4, 5]);
    new DbCounterStore(db, 'a', 'down').read(out, 0);
    expect([...out]).toEqual([0, 0, 0, 0, 0]);
    new DbCounterStore(db, 'b', 'up').read(out, 0);
    expect([...out]).toEqual([0, 0, 0, 0, 0]);
    db.close();
  });
});
}
