/**
 * The simulated parties keep their data in a store of their own (parties.db beside a SQLite
 * platform), never in the platform's schema; a platform database from before the split hands its
 * parties' rows over the first time the parties' store is opened for it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PARTIES_DB_FILE, startSimulatedParties, type RunningParties } from '../../cli/simulated-parties';
import { getAccount } from '../../parties/accounts';
import { tempPlatform, type TempPlatform } from '../platform/_fixtures';

const PARTY_TABLES = ['accounts', 'ledger', 'payer_authorisations', 'payments'];
const AT = '2026-01-01T00:00:00.000Z';

let tp: TempPlatform;
let running: RunningParties | null = null;

beforeEach(async () => {
  tp = await tempPlatform();
});
afterEach(() => {
  running?.close();
  running = null;
  tp.cleanup();
});

const platformTables = (): string[] =>
  (tp.platform.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe("the simulated parties' store", () => {
  it("lives in parties.db of the data directory; the platform's schema keeps none of the parties' tables", () => {
    running = startSimulatedParties(tp.platform);
    expect(existsSync(path.join(tp.dir, PARTIES_DB_FILE))).toBe(true);
    expect(platformTables().filter((t) => PARTY_TABLES.includes(t))).toEqual([]);
    running.parties.payments.openAccount('alice', 'Alice', 1_000);
    expect(getAccount(running.parties.db, 'payment', 'alice').balance).toBe(1_000);
  });

  it("takes over the rows a platform database from before the split holds, then drops those tables from it", () => {
    const db = tp.platform.db;
    db.prepare("INSERT INTO accounts (id, system, owner, balance, created_at) VALUES ('saver', 'bank', 'Saver', 7000, ?)").run(AT);
    db.prepare("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'bank', 'account.opened', 'bank:saver', '{\"balance\":10000}')").run(AT);
    db.prepare(
      `INSERT INTO ledger (issuer, card_number, kind, amount, balance_before, balance_after, card_txn_no, terminal_id, order_id, mac2, tac, state, created_at, updated_at)
       VALUES ('bank', '62273000000000000001', 'load', 3000, 0, 3000, 0, '504f53000001', 'account:saver', 'aa', 'bb', 'confirmed', ?, ?)`,
    ).run(AT, AT);
    db.prepare("INSERT INTO applications (id, issuer, name, version, package_aid, applet_aid, package_hash, created_at) VALUES ('ecash', 'bank', 'e-cash', '1.0', 'aa', 'bb', 'cc', ?)").run(AT);
    db.prepare("INSERT INTO ses (serial, isd_key_version, created_at) VALUES ('00112233445566778899', 48, ?)").run(AT);
    db.prepare("INSERT INTO cards (se_serial, slot, card_serial, state, updated_at) VALUES ('00112233445566778899', 0, 'c0', 'installed', ?)").run(AT);
    db.prepare("INSERT INTO installations (card_serial, application_id, version, card_number, installed_at) VALUES ('c0', 'ecash', '1.0', '62273000000000000001', ?)").run(AT);

    running = startSimulatedParties(tp.platform);
    expect(platformTables().filter((t) => PARTY_TABLES.includes(t))).toEqual([]);
    const { bank } = running.parties;
    expect(bank.accounts()).toMatchObject([{ id: 'saver', balance: 7000, opening: 10_000, paidOut: 3000 }]);
    expect(bank.ledger('62273000000000000001')).toMatchObject([{ kind: 'load', amount: 3000, state: 'confirmed', tac: 'bb' }]);
    // The card the platform installed is one the bank issued: it is known, not UNKNOWN_CARD.
    expect(() => bank.requireCard('62273000000000000001')).not.toThrow();
    expect(() => bank.requireCard('62273000000000000002')).toThrow(/does not know card/);
  });
});
