/** Platform settings and public material (CA certificate, broker URL) in platform_meta. */
import type { PlatformDb } from './database';

export const META = {
  CREATED_AT: 'platform.created_at',
  CA_CERT: 'pki.ca_cert',
  BROKER_SERVER_CERT: 'pki.broker_server_cert',
  PLATFORM_CLIENT_CERT: 'pki.platform_client_cert',
  BROKER_URL: 'broker.url',
} as const;

export function getMeta(db: PlatformDb, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM platform_meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function requireMeta(db: PlatformDb, key: string): string {
  const v = getMeta(db, key);
  if (v === undefined) throw new Error(`platform not initialised: '${key}' missing (run 'tapcard platform init')`);
  return v;
}

export function setMeta(db: PlatformDb, key: string, value: string): void {
  db.prepare('INSERT INTO platform_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}
