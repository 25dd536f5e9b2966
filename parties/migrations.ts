/**
 * The simulated parties' schema, numbered like the platform's (applied in order, each once; never
 * edit a released one). Written in the SQL both engines share, as the platform's migrations are.
 * Amounts are integer minor units (fen); secrets only as one-way hashes.
 */
export const PARTIES_MIGRATIONS = [
  {
    version: 1,
    name: 'accounts, payments, payer authorisations, ledger, issued cards',
    sql: `
-- Accounts at the third-party payment system and the bank, with the balance each opened with.
CREATE TABLE accounts (
  id              TEXT PRIMARY KEY,
  system          TEXT NOT NULL CHECK (system IN ('payment', 'bank')),
  owner           TEXT NOT NULL,
  balance         INTEGER NOT NULL CHECK (balance >= 0),
  opening_balance INTEGER NOT NULL CHECK (opening_balance >= 0),
  currency        TEXT NOT NULL DEFAULT 'CNY',
  created_at      TEXT NOT NULL
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
  response        TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);

-- Payment codes an account holder gives a till: one use, up to max_amount, before expires_at.
-- Only SHA-256 of the code is kept; used_for names what consumed it, so a retry of that same
-- thing may present it again.
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

-- The card issuers' settlement ledger (ledger.ts).
CREATE TABLE ledger (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  issuer         TEXT NOT NULL CHECK (issuer IN ('transit', 'bank', 'merchant')),
  card_number    TEXT NOT NULL,
  kind           TEXT NOT NULL,               -- 'load', 'purchase', 'earn', 'redeem', 'coupon-add', 'coupon-use'
  amount         INTEGER NOT NULL,
  balance_before INTEGER,
  balance_after  INTEGER,
  card_txn_no    INTEGER,                     -- the card's transaction counter the transaction used
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

-- The cards each issuer issued (a package personalised with the card number).
CREATE TABLE issued_cards (
  issuer      TEXT NOT NULL CHECK (issuer IN ('transit', 'bank', 'merchant')),
  card_number TEXT NOT NULL,
  issued_at   TEXT NOT NULL,
  PRIMARY KEY (issuer, card_number)
);
`,
  },
  {
    version: 2,
    name: 'issued packages by download job',
    sql: `
-- The card number each issuer personalised a download job's package with: the job id is the
-- issuer interface's idempotency key (contracts/issuer.ts), so asking again for the same job
-- hands out the same card's package instead of issuing another card.
CREATE TABLE issued_packages (
  issuer      TEXT NOT NULL CHECK (issuer IN ('transit', 'bank', 'merchant')),
  job_id      TEXT NOT NULL,
  card_number TEXT NOT NULL,
  issued_at   TEXT NOT NULL,
  PRIMARY KEY (issuer, job_id)
);
`,
  },
] as const;
