/**
 * The composition root of the simulated outside parties (parties/): the platform commands that
 * run them in process (`tapcard platform start` and `worker`, `tapcard demo`, and the commands that
 * open accounts, issue payment codes or reconcile) open the parties' own store for a platform, make
 * the parties on it, and hand the platform their services. Only here do the two meet: the platform
 * reaches the parties through the contracts (contracts/issuer.ts, contracts/issuer-services.ts),
 * and the parties never see the platform.
 *
 * The store: `parties.db` in the platform's data directory beside a SQLite platform, or the
 * `parties` schema of the platform's PostgreSQL database, so workers share it as they share the
 * platform's tables. Opened with the platform's database engines, with the parties' own migrations.
 */
import path from 'node:path';
import { nodePbocCrypto } from '../net/crypto/node-des';
import { createParties, type PartiesOptions, type SimulatedParties } from '../parties/parties';
import { PARTIES_MIGRATIONS } from '../parties/migrations';
import { openDatabase, type PlatformDb } from '../platform-server/src/db/database';
import { isPostgresUrl } from '../platform-server/src/db/postgres';
import type { Platform } from '../platform-server/src/platform-home';
import { receivePaymentNotification } from '../platform-server/src/terminals/payment-notifications';
import type { TerminalServices } from '../platform-server/src/terminals/terminal-services';
import { moveLegacyPartyTables } from './legacy-party-tables';

export const PARTIES_DB_FILE = 'parties.db';
export const PARTIES_SCHEMA = 'parties';

/** The parties' store of `platform`, migrated, with any parties' tables the platform's database still holds moved in. */
export function openPartiesStore(platform: Platform): PlatformDb {
  const target = isPostgresUrl(platform.dbTarget) ? platform.dbTarget : path.join(platform.dataDir, PARTIES_DB_FILE);
  const db = openDatabase(target, { migrations: PARTIES_MIGRATIONS, schema: PARTIES_SCHEMA });
  try {
    moveLegacyPartyTables(platform.db, db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export interface RunningParties {
  parties: SimulatedParties;
  /** What the terminal API and reconciliation work with: the parties, and the platform's database. */
  services: TerminalServices;
  close(): void;
}

/** The simulated parties on their store, the payment system's notifications delivered to the platform. */
export function startSimulatedParties(platform: Platform, options: PartiesOptions = {}): RunningParties {
  const db = openPartiesStore(platform);
  // The servers' DES on node:crypto, not the portable SoftDes the board needs (net/crypto/node-des.ts).
  const parties = createParties(db, { pboc: nodePbocCrypto, ...options });
  parties.payments.onNotification((n) => receivePaymentNotification(platform.db, n));
  const { transit, bank, merchant, payments } = parties;
  return { parties, services: { db: platform.db, transit, bank, merchant, payments }, close: () => db.close() };
}
