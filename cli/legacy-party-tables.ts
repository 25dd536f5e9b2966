/**
 * Platform databases made before the simulated parties had a store of their own (platform schema
 * migrations 1-3) hold the parties' tables: ledger, accounts, payments, payer_authorisations. When
 * the parties' store is opened for such a platform, their rows are copied there (an account's
 * opening balance from the platform's `account.opened` audit entry, else its balance then; each
 * card the platform installed becomes a card its issuer issued), then the tables are dropped from
 * the platform's schema. The copy keeps every key and skips rows already there, so a run cut short
 * between the copy and the drop is simply run again at the next open. Workers starting together on
 * one PostgreSQL database take turns (an advisory lock), so one moves and the others find nothing.
 */
import type { PlatformDb } from '../platform-server/src/db/database';

/** pg_advisory_lock key held while moving ('tpmv'). */
const MOVE_LOCK = 0x7470_6d76;

/** Dropped in this order (payments reference accounts). */
const LEGACY_TABLES = ['payments', 'payer_authorisations', 'ledger', 'accounts'] as const;

const COPIED: Record<Exclude<(typeof LEGACY_TABLES)[number], 'accounts'>, readonly string[]> = {
  payments: ['id', 'idempotency_key', 'account_id', 'amount', 'currency', 'request_hash', 'state', 'response', 'created_at', 'updated_at'],
  payer_authorisations: ['code_hash', 'system', 'account_id', 'max_amount', 'created_at', 'expires_at', 'used_at', 'used_for'],
  ledger: [
    'id', 'issuer', 'card_number', 'kind', 'amount', 'balance_before', 'balance_after', 'card_txn_no', 'terminal_id', 'order_id', 'mac2', 'tac',
    'state', 'created_at', 'updated_at',
  ],
};

function hasTable(db: PlatformDb, name: string): boolean {
  const sql = db.dialect === 'sqlite'
    ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    : 'SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?';
  return db.prepare(sql).get(name) !== undefined;
}

function insertAll(db: PlatformDb, table: string, columns: readonly string[], rows: Record<string, unknown>[]): void {
  const insert = db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`);
  for (const r of rows) insert.run(...columns.map((c) => r[c]));
}

/** Moves the parties' tables out of `platform` into `parties`; false when the platform holds none. */
export function moveLegacyPartyTables(platform: PlatformDb, parties: PlatformDb): boolean {
  if (platform.dialect === 'sqlite') return move(platform, parties);
  platform.prepare('SELECT pg_advisory_lock(?)').get(MOVE_LOCK);
  try {
    return move(platform, parties);
  } finally {
    platform.prepare('SELECT pg_advisory_unlock(?)').get(MOVE_LOCK);
  }
}

function move(platform: PlatformDb, parties: PlatformDb): boolean {
  if (!hasTable(platform, 'ledger')) return false;
  const openings = new Map<string, number>();
  for (const a of platform.prepare("SELECT subject, detail FROM audit_log WHERE action = 'account.opened'").all() as { subject: string; detail: string | null }[]) {
    const balance = a.detail === null ? undefined : (JSON.parse(a.detail) as { balance?: unknown }).balance;
    if (typeof balance === 'number') openings.set(a.subject, balance);
  }
  const accounts = (platform.prepare('SELECT * FROM accounts').all() as Record<string, unknown>[]).map((a) => ({
    ...a, opening_balance: openings.get(`${String(a.system)}:${String(a.id)}`) ?? a.balance,
  }));
  const rows = Object.fromEntries(Object.keys(COPIED).map((t) => [t, platform.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[]]));
  const issued = platform.prepare(
    'SELECT a.issuer, i.card_number, i.installed_at AS issued_at FROM installations i JOIN applications a ON a.id = i.application_id WHERE i.card_number IS NOT NULL',
  ).all() as Record<string, unknown>[];
  parties.transaction(() => {
    insertAll(parties, 'accounts', ['id', 'system', 'owner', 'balance', 'opening_balance', 'currency', 'created_at'], accounts);
    for (const [table, columns] of Object.entries(COPIED)) insertAll(parties, table, columns, rows[table]);
    insertAll(parties, 'issued_cards', ['issuer', 'card_number', 'issued_at'], issued);
    // Rows copied with their ids leave PostgreSQL's identity sequence behind them.
    if (parties.dialect === 'postgres') parties.prepare("SELECT setval(pg_get_serial_sequence('ledger', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM ledger), false)").get();
  })();
  platform.transaction(() => {
    for (const t of LEGACY_TABLES) platform.exec(`DROP TABLE IF EXISTS ${t}`);
  })();
  return true;
}
