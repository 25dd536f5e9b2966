/**
 * Reconciliation of one purse card: the issuer's ledger, the platform's own
 * records of what its terminals reported (audit log, action `terminal.<issuer>.<kind>`), and the
 * card's TACs must tell one story:
 *
 *   - every confirmed ledger row has a platform record with the same kind, counter, amount and TAC;
 *   - that TAC verifies again with the card's TAC key over the recorded transaction (it is the card's);
 *   - no platform record lacks its confirmed ledger row;
 *   - loads minus purchases confirmed = the card's balance, when the caller read it from the card.
 *
 * Authorised rows (the card's answer not in yet) are listed as open and counted in no balance.
 */
import { fromHex } from '../../../firmware/src/core/hex';
import type { PurseIssuerService } from '../../../contracts/issuer-services';
import { listAudit } from '../db/audit';
import type { PlatformDb } from '../db/database';
import type { z } from 'zod';
import { LoadRequestSchema, PurchaseRequestSchema } from '../../../contracts/purse-messages';
import { parseWire } from '../../../contracts/wire-schema';

/** What the platform writes when a terminal's confirmation of a purse transaction verified. */
export interface PurseRecord {
  kind: 'purchase' | 'load';
  counter: number;
  amount: number;
  tac: string;
  mac2: string | null;
  /** The transaction as the terminal sent it (purse-messages.ts). */
  request: z.input<typeof PurchaseRequestSchema> | z.input<typeof LoadRequestSchema>;
}

export interface ReconciledEntry {
  kind: string;
  counter: number;
  amount: number;
  ledgerState: string;
  ledgerTac: string | null;
  platformTac: string | null;
  /** The recorded TAC verifies with the card's key (null when there is no platform record). */
  tacVerified: boolean | null;
}

export interface Reconciliation {
  issuer: string;
  cardNumber: string;
  entries: ReconciledEntry[];
  /** Confirmed loads minus confirmed purchases. */
  settledBalance: number;
  /** The balance the caller read from the card, or null. */
  cardBalance: number | null;
  open: number;
  /** Empty when ledger, platform records, TACs and (if given) the card's balance agree. */
  mismatches: string[];
}

export function purseRecordAction(issuer: string, kind: string): string {
  return `terminal.${issuer}.${kind}`;
}

export async function reconcilePurseCard(db: PlatformDb, server: PurseIssuerService, cardNumber: string, cardBalance: number | null): Promise<Reconciliation> {
  const records = new Map<string, PurseRecord>();
  for (const a of listAudit(db, cardNumber)) {
    for (const kind of ['purchase', 'load'] as const) {
      if (a.action === purseRecordAction(server.issuer, kind) && a.detail !== null) {
        const r = a.detail as unknown as PurseRecord;
        records.set(`${kind}:${r.counter}`, r);
      }
    }
  }
  const mismatches: string[] = [];
  const entries: ReconciledEntry[] = [];
  let settled = 0;
  let open = 0;
  for (const row of server.ledger(cardNumber)) {
    const record = records.get(`${row.kind}:${row.counter}`);
    records.delete(`${row.kind}:${row.counter}`);
    const entry: ReconciledEntry = {
      kind: row.kind, counter: row.counter, amount: row.amount, ledgerState: row.state, ledgerTac: row.tac, platformTac: record?.tac ?? null, tacVerified: null,
    };
    entries.push(entry);
    if (row.state === 'authorised') open++;
    if (row.state !== 'confirmed') continue;
    settled += row.kind === 'load' ? row.amount : -row.amount;
    const where = `${row.kind} at counter ${row.counter}`;
    if (record === undefined) {
      mismatches.push(`${where}: confirmed in the ledger, no platform record`);
      continue;
    }
    entry.tacVerified = await recordVerifies(server, record);
    if (!entry.tacVerified) mismatches.push(`${where}: the recorded TAC does not verify with the card's key`);
    if (record.tac !== row.tac || record.amount !== row.amount) mismatches.push(`${where}: ledger and platform record differ`);
  }
  for (const r of records.values()) mismatches.push(`${r.kind} at counter ${r.counter}: platform record without a confirmed ledger row`);
  if (cardBalance !== null && cardBalance !== settled) mismatches.push(`the card holds ${cardBalance}, the ledger settles ${settled}`);
  return { issuer: server.issuer, cardNumber, entries, settledBalance: settled, cardBalance, open, mismatches };
}

function recordVerifies(server: PurseIssuerService, r: PurseRecord): Promise<boolean> {
  if (r.kind === 'purchase') {
    return server.proofValid('purchase', parseWire(PurchaseRequestSchema, r.request), { tac: fromHex(r.tac), mac2: fromHex(r.mac2 ?? '') });
  }
  return server.proofValid('load', parseWire(LoadRequestSchema, r.request), { tac: fromHex(r.tac) });
}
