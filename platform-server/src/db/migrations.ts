/**
 * The platform's schema as numbered migrations (applied in order, each once, by migrate.ts). Never
 * edit a released migration; add the next number. Tables cover the platform link, provisioning and
 * key store, the jobs and cards the flows persist, and the platform's records of terminals, orders
 * and payment notifications. The simulated parties' tables (ledger, accounts, payments, payer
 * authorisations) were here up to migration 3; they live in the parties' own store now
 * (parties/migrations.ts), and cli/parties-store.ts moves them out of a database that still has them.
 *
 * Conventions: times are ISO-8601 UTC text; identifiers of card-side objects (SE serial, card
 * serial, AIDs) are lower-case hex text; amounts are integer minor units (cents, fen); secrets only
 * appear as `sealed` blobs (key-store.ts) or one-way hashes.
 *
 * Both engines run the same migrations (migrate.ts): a table comes after the tables it references
 * (PostgreSQL resolves REFERENCES at once), and what only one engine can spell (triggers) sits in
 * that engine's part.
 */
export interface Migration {
  version: number;
  name: string;
  /** Runs on both engines (migrate.ts translates the two SQLite spellings PostgreSQL lacks). */
  sql: string;
  /** Runs after sql on SQLite only (triggers). */
  sqlite?: string;
  /** Runs after sql on PostgreSQL only. */
  postgres?: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE platform_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Secrets at rest, each sealed with the platform storage key (AES-256-GCM; key-store.ts).
-- owner: 'platform' or 'device:<id>'; purpose: 'kmc', 'ca-key', 'link-kic', ...
CREATE TABLE key_store (
  owner      TEXT NOT NULL,
  purpose    TEXT NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  sealed     BLOB NOT NULL,
  kcv        TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner, purpose, version)
);

CREATE TABLE ses (
  serial          TEXT PRIMARY KEY,           -- 10 bytes hex: GP key diversification data
  isd_key_version INTEGER NOT NULL,
  created_at      TEXT NOT NULL
);

CREATE TABLE devices (
  id                 TEXT PRIMARY KEY,
  se_serial          TEXT NOT NULL UNIQUE REFERENCES ses(serial),
  status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  cert_serial        TEXT NOT NULL,
  cert_pem           TEXT NOT NULL,
  broker_secret_hash TEXT NOT NULL,           -- scrypt of the device's MQTT password (plain listener)
  created_at         TEXT NOT NULL,
  last_seen_at       TEXT
);

-- TS 102 225 CNTR per device and direction: 'down' = last counter the platform sent,
-- 'up' = highest counter accepted from the device.
CREATE TABLE link_counters (
  device_id TEXT NOT NULL REFERENCES devices(id),
  direction TEXT NOT NULL CHECK (direction IN ('down', 'up')),
  counter   BLOB NOT NULL CHECK (length(counter) = 5),
  PRIMARY KEY (device_id, direction)
);

-- Installable applications (the issuers' packages).
CREATE TABLE applications (
  id           TEXT PRIMARY KEY,              -- e.g. 'transit', 'ecash', 'loyalty'
  issuer       TEXT NOT NULL CHECK (issuer IN ('transit', 'bank', 'merchant')),
  name         TEXT NOT NULL,
  version      TEXT NOT NULL,
  package_aid  TEXT NOT NULL,
  applet_aid   TEXT NOT NULL,
  package_hash TEXT NOT NULL,
  created_at   TEXT NOT NULL
);

-- Smart card slots of an SE and what the platform knows about them.
CREATE TABLE cards (
  se_serial   TEXT NOT NULL REFERENCES ses(serial),
  slot        INTEGER NOT NULL,
  card_serial TEXT NOT NULL UNIQUE,
  state       TEXT NOT NULL DEFAULT 'empty' CHECK (state IN ('empty', 'installing', 'installed', 'deleting')),
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (se_serial, slot)
);

-- Data processing unit jobs: persisted state machines that resume after a restart.
CREATE TABLE jobs (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('permission', 'download', 'delete', 'status')),
  device_id      TEXT NOT NULL REFERENCES devices(id),
  application_id TEXT REFERENCES applications(id),
  card_serial    TEXT,
  state          TEXT NOT NULL,
  acked_block    INTEGER NOT NULL DEFAULT -1, -- last block the device acknowledged
  total_blocks   INTEGER,
  attempts       INTEGER NOT NULL DEFAULT 0,
  context        TEXT NOT NULL DEFAULT '{}',  -- JSON, never keys
  error          TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX jobs_by_device ON jobs(device_id, state);

CREATE TABLE job_events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id  TEXT NOT NULL REFERENCES jobs(id),
  at      TEXT NOT NULL,
  state   TEXT NOT NULL,
  detail  TEXT
);
CREATE INDEX job_events_by_job ON job_events(job_id, id);

-- Applications installed on cards, as the card manager reported them.
CREATE TABLE installations (
  card_serial    TEXT NOT NULL REFERENCES cards(card_serial),
  application_id TEXT NOT NULL REFERENCES applications(id),
  version        TEXT NOT NULL,
  card_number    TEXT,                        -- the issuer's card number (PAN / transit card no.)
  balance        INTEGER,                     -- last balance reported, minor units
  installed_at   TEXT NOT NULL,
  job_id         TEXT REFERENCES jobs(id),
  PRIMARY KEY (card_serial, application_id)
);

-- Terminals (the seed's first..fourth terminals) calling the platform's HTTP API.
CREATE TABLE terminals (
  id              TEXT PRIMARY KEY,
  role            TEXT NOT NULL CHECK (role IN ('transit', 'transit-payment', 'bank', 'merchant')),
  credential_hash TEXT NOT NULL,
  created_at      TEXT NOT NULL
);

-- Issuer settlement ledger (the transit server's load/purchase records, bank and merchant entries).
CREATE TABLE ledger (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  issuer         TEXT NOT NULL CHECK (issuer IN ('transit', 'bank', 'merchant')),
  card_number    TEXT NOT NULL,
  kind           TEXT NOT NULL,               -- 'load', 'purchase', 'deposit', 'debit', 'earn', 'redeem'
  amount         INTEGER NOT NULL,
  balance_before INTEGER,
  balance_after  INTEGER,
  card_txn_no    INTEGER,                     -- the purse's online/offline transaction counter
  terminal_id    TEXT,
  order_id       TEXT,
  mac2           TEXT,
  tac            TEXT,
  state          TEXT NOT NULL CHECK (state IN ('authorised', 'confirmed', 'reversed')),
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  UNIQUE (issuer, card_number, kind, card_txn_no)
);
CREATE INDEX ledger_by_order ON ledger(order_id);

-- Accounts at the third-party payment system and the bank.
CREATE TABLE accounts (
  id         TEXT PRIMARY KEY,
  system     TEXT NOT NULL CHECK (system IN ('payment', 'bank')),
  owner      TEXT NOT NULL,
  balance    INTEGER NOT NULL CHECK (balance >= 0),
  currency   TEXT NOT NULL DEFAULT 'CNY',
  created_at TEXT NOT NULL
);

-- Charges at the third-party payment system; the idempotency key is the order id end to end.
CREATE TABLE payments (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  account_id      TEXT NOT NULL REFERENCES accounts(id),
  amount          INTEGER NOT NULL CHECK (amount > 0),
  currency        TEXT NOT NULL DEFAULT 'CNY',
  request_hash    TEXT NOT NULL,              -- a retry with other parameters is refused
  state           TEXT NOT NULL CHECK (state IN ('pending', 'paid', 'failed', 'refunded')),
  response        TEXT,                       -- the first response, replayed to retries
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);

-- Payment notifications as received; duplicates are recorded and ignored.
CREATE TABLE payment_notifications (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  payment_id   TEXT NOT NULL REFERENCES payments(id),
  payload_hash TEXT NOT NULL,
  duplicate    INTEGER NOT NULL DEFAULT 0,
  received_at  TEXT NOT NULL
);

-- Append-only audit log: who did what to which subject. Never holds key material.
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT,
  detail  TEXT
);
`,
    sqlite: `
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
    postgres: `
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
`,
  },
  {
    version: 2,
    name: 'order owners and payer authorisations',
    sql: `
-- The platform's recharge orders and the terminal that created each: only it may read, load or
-- refund the order. The order's key is also the payment's idempotency key.
CREATE TABLE recharge_orders (
  idempotency_key TEXT PRIMARY KEY,
  terminal_id     TEXT NOT NULL,
  created_at      TEXT NOT NULL
);

-- Payment codes an account holder gives a till (as a payment app shows one): one use, up to
-- max_amount, before expires_at. Only SHA-256 of the code is kept. used_for names what consumed it
-- (a payment's idempotency key, a deposit's card and counter), so a retry of that same thing may
-- present it again.
CREATE TABLE payer_authorisations (
  code_hash   TEXT PRIMARY KEY,
  system      TEXT NOT NULL CHECK (system IN ('payment', 'bank')),
  account_id  TEXT NOT NULL,
  max_amount  INTEGER NOT NULL CHECK (max_amount > 0),
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  used_at     TEXT,
  used_for    TEXT
);
`,
  },
  {
    version: 3,
    name: 'device leases of platform workers',
    sql: `
-- Which platform worker serves a device now (workers/device-leases.ts): it alone handles the
-- device's frames and runs its jobs until expires_at (milliseconds since 1970, renewed while the
-- worker lives). token goes up by one each time the device changes hands: the fencing token a
-- worker re-checks before it writes a job's outcome.
CREATE TABLE device_leases (
  device_id  TEXT PRIMARY KEY REFERENCES devices(id),
  owner      TEXT NOT NULL,
  token      BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX device_leases_by_owner ON device_leases(owner);
`,
  },
  {
    version: 4,
    name: 'payment notifications no longer reference the payment system\'s table',
    sql: '',
    // SQLite cannot drop a constraint: the table is made again without it.
    sqlite: `
CREATE TABLE payment_notifications_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  payment_id   TEXT NOT NULL,                 -- the payment system's payment id
  payload_hash TEXT NOT NULL,
  duplicate    INTEGER NOT NULL DEFAULT 0,
  received_at  TEXT NOT NULL
);
INSERT INTO payment_notifications_new (id, payment_id, payload_hash, duplicate, received_at)
  SELECT id, payment_id, payload_hash, duplicate, received_at FROM payment_notifications;
DROP TABLE payment_notifications;
ALTER TABLE payment_notifications_new RENAME TO payment_notifications;
`,
    postgres: `
ALTER TABLE payment_notifications DROP CONSTRAINT IF EXISTS payment_notifications_payment_id_fkey;
`,
  },
  {
    version: 5,
    name: 'active jobs by age',
    sql: `
-- The job scheduler polls the active jobs every second: this index holds only them (finished
-- jobs accumulate for ever), in the order they run.
CREATE INDEX jobs_active ON jobs(created_at, id) WHERE state NOT IN ('done', 'failed');
`,
  },
  {
    version: 6,
    name: 'jobs by device without their state',
    sql: `
-- A job's state moves five or six times, and an UPDATE rewrites the entries of every index a column
-- of its SET list (or of a partial index's WHERE) is in: jobs_by_device (device_id, state) was one,
-- an entry on a random leaf (device ids are random) per move. Now the device's active jobs are
-- read from jobs_active, which names the device first and is rewritten on a move anyway, and
-- jobs_by_device (all of a device's jobs: its latest status report, the CLI's listing) holds
-- columns no UPDATE sets, so only an INSERT writes it. The scheduler's poll sorts the active
-- jobs' ids it reads from jobs_active (a few thousand at most).
DROP INDEX jobs_by_device;
DROP INDEX jobs_active;
CREATE INDEX jobs_by_device ON jobs(device_id, kind);
CREATE INDEX jobs_active ON jobs(device_id, created_at, id) WHERE state NOT IN ('done', 'failed');
`,
  },
];
