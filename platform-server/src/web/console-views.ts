/**
 * What the operator console shows, read from the platform's database: devices with the cards of
 * their SE, jobs, terminals and the issuers' ledgers reconciled card by card. Nothing here carries
 * a key: terminal credentials appear as "a key is registered", never as the key or its hash.
 */
import type { PlatformDb } from '../db/database';
import { listDevices } from '../db/devices';
import type { JobRow } from '../flows/jobs';
import { platformCards } from '../flows/platform-cards';
import { latestStatus } from '../flows/status-job';
import { deviceView } from '../http/server';
import { ledgerCards, reconcileMoney } from '../terminals/money-reconciliation';
import { reconcilePurseCard } from '../terminals/reconciliation';
import type { TerminalServices } from '../terminals/terminal-services';
import type { ConsoleCard, ConsoleJob, ConsoleLedgerCard, ConsoleMoney } from '../../../web/console/wire';

const JOBS_SHOWN = 50;

/**
 * Each device with its SE's cards: the platform's rows, each with what the newest status read
 * reported for that very card (same slot, instance and card number; a card installed since then has
 * no report yet), plus the cards that read found on the SE with no platform row.
 */
export function consoleDevices(db: PlatformDb): unknown[] {
  return listDevices(db).map((d) => {
    const report = latestStatus(db, d.id)?.context.report ?? null;
    const reported = report?.cards ?? [];
    const balances = installedBalances(db, d.seSerial);
    const cards: ConsoleCard[] = platformCards(db, d.seSerial)
      .filter((c) => c.state !== 'empty')
      .map((c) => {
        const r = reported.find((x) => x.slot === c.slot && x.instanceAid === c.instanceAid && (x.record === null || c.cardNumber === null || x.record.cardNumber === c.cardNumber));
        return {
          slot: c.slot,
          cardSerial: c.cardSerial,
          applicationId: c.applicationId,
          className: r?.record?.appClassName ?? null,
          aid: c.instanceAid,
          issuer: r?.record?.issuer ?? null,
          cardNumber: c.cardNumber ?? r?.record?.cardNumber ?? null,
          lifeCycle: r?.lifeCycle ?? null,
          balance: r?.record?.balance ?? balances.get(c.cardSerial) ?? null,
          platformState: c.state,
        };
      });
    for (const r of reported.filter((x) => x.platform === null)) {
      cards.push({
        slot: r.slot, cardSerial: r.cardSerial, applicationId: null, className: r.record?.appClassName ?? null, aid: r.instanceAid, issuer: r.record?.issuer ?? null,
        cardNumber: r.record?.cardNumber ?? null, lifeCycle: r.lifeCycle, balance: r.record?.balance ?? null, platformState: null,
      });
    }
    return { ...deviceView(d), cards, statusReadAt: report?.readAt ?? null, drift: report?.drift ?? [] };
  });
}

function installedBalances(db: PlatformDb, seSerial: string): Map<string, number> {
  const rows = db
    .prepare('SELECT i.card_serial, i.balance FROM installations i JOIN cards c ON c.card_serial = i.card_serial WHERE c.se_serial = ? AND i.balance IS NOT NULL')
    .all(seSerial.toLowerCase()) as { card_serial: string; balance: number }[];
  return new Map(rows.map((r) => [r.card_serial, r.balance]));
}

/** A job as the console shows it: progress as commands acknowledged of the total. */
export function consoleJob(j: JobRow): ConsoleJob {
  return {
    id: j.id, kind: j.kind, deviceId: j.device_id, applicationId: j.application_id, state: j.state,
    acked: j.acked_block + 1, total: j.total_blocks, error: j.error, updatedAt: j.updated_at,
  };
}

/** The newest jobs, newest first. */
export function consoleJobs(db: PlatformDb): ConsoleJob[] {
  const rows = db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?').all(JOBS_SHOWN) as JobRow[];
  return rows.map(consoleJob);
}

/** Jobs changed at or after `since` (ISO time), for the live stream. */
export function jobsChangedSince(db: PlatformDb, since: string): JobRow[] {
  return db.prepare('SELECT * FROM jobs WHERE updated_at >= ? ORDER BY updated_at, id').all(since) as JobRow[];
}

export function consoleTerminals(db: PlatformDb): unknown[] {
  const rows = db.prepare('SELECT id, role, created_at FROM terminals ORDER BY id').all() as { id: string; role: string; created_at: string }[];
  return rows.map((r) => ({ id: r.id, role: r.role, createdAt: r.created_at, credential: 'bearer key registered (SHA-256 kept, key shown once)' }));
}

export function consoleApplications(db: PlatformDb): unknown[] {
  return db.prepare('SELECT id, issuer, name, version FROM applications ORDER BY id').all();
}

/**
 * The ledgers card by card, each purse card reconciled with the platform's records and TACs
 * (terminals/reconciliation.ts) against the balance the SE last reported, and the money check of
 * `tapcard platform reconcile` (terminals/money-reconciliation.ts) with those balances: cards,
 * recharge orders and accounts.
 */
export async function consoleLedgers(db: PlatformDb, services: TerminalServices): Promise<{ cards: ConsoleLedgerCard[]; money: ConsoleMoney }> {
  const reported = reportedBalances(db);
  const cards: ConsoleLedgerCard[] = [];
  for (const { issuer, cardNumber } of ledgerCards(services)) {
    const balance = reported.get(cardNumber) ?? null;
    if (issuer === 'merchant') {
      const rows = services.merchant.ledger(cardNumber);
      const confirmed = rows.filter((r) => r.state === 'confirmed');
      const settled = confirmed.reduce((s, r) => s + (r.kind === 'earn' ? r.amount : r.kind === 'redeem' ? -r.amount : 0), 0);
      cards.push({
        issuer, cardNumber, reportedBalance: null, settled, open: rows.filter((r) => r.state === 'authorised').length, confirmed: confirmed.length, mismatches: [],
        entries: rows.map((r) => ({ kind: r.kind, counter: r.counter, amount: r.amount, state: r.state, tac: r.tac, tacVerified: null })),
      });
      continue;
    }
    const rec = await reconcilePurseCard(db, issuer === 'transit' ? services.transit : services.bank, cardNumber, balance);
    cards.push({
      issuer, cardNumber, reportedBalance: balance, settled: rec.settledBalance, open: rec.open,
      confirmed: rec.entries.filter((e) => e.ledgerState === 'confirmed').length, mismatches: rec.mismatches,
      entries: rec.entries.map((e) => ({ kind: e.kind, counter: e.counter, amount: e.amount, state: e.ledgerState, tac: e.ledgerTac, tacVerified: e.tacVerified })),
    });
  }
  const purse = cards.filter((c) => c.issuer !== 'merchant');
  const check = await reconcileMoney(services, reported);
  const money: ConsoleMoney = {
    ok: check.mismatches.length === 0,
    cards: check.cards.length,
    settledPurseTotal: purse.reduce((s, c) => s + c.settled, 0),
    reportedPurseTotal: purse.reduce((s, c) => s + (c.reportedBalance ?? 0), 0),
    cardsWithoutReport: purse.filter((c) => c.reportedBalance === null).length,
    open: check.open,
    orders: check.orders,
    accounts: check.accounts,
    mismatches: check.mismatches,
  };
  return { cards, money };
}

/** Card number -> the balance of the newest status report that has a record for it. */
function reportedBalances(db: PlatformDb): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of listDevices(db)) {
    for (const c of latestStatus(db, d.id)?.context.report?.cards ?? []) {
      if (c.record !== null) out.set(c.record.cardNumber, c.record.balance);
    }
  }
  return out;
}
