/**
 * Reconciliation of what an SE holds (its GP registry and card-manager records, read by the status
 * job) with what the platform believes (cards and installations rows, platform-cards.ts). Pure: the
 * result is stored and shown, the rows are not changed (docs/flows.md §6).
 *
 * Drift kinds:
 *   missing-on-se           a card row says installed (or installing/deleting) and the SE holds no such card
 *   unknown-on-se           the SE holds a card the platform has no installed row for
 *   instance-differs        the card in that slot is another application instance than the one installed
 *   card-number-differs     the card-manager record names another card number than the installation
 *   row-in-transition       a row left 'installing' or 'deleting' by a job that did not finish
 *   no-card-manager-record  an application on the SE without service information
 *   orphan-load-file        a load file no application was installed from
 */
import type { CardRecordView } from './card-record';
import type { PlatformCard } from './platform-cards';
import type { RegistryView } from './se-relay';

export type DriftKind =
  | 'missing-on-se'
  | 'unknown-on-se'
  | 'instance-differs'
  | 'card-number-differs'
  | 'row-in-transition'
  | 'no-card-manager-record'
  | 'orphan-load-file';

export interface Drift {
  kind: DriftKind;
  slot: number | null;
  cardSerial: string | null;
  aid: string | null;
  detail: string;
}

/** The SE's side: registry parts and, per application, the record of the card holding it (null when none). */
export interface SeRegistry {
  isd: RegistryView | null;
  applications: { entry: RegistryView; record: CardRecordView | null }[];
  loadFiles: RegistryView[];
}

/** One card as both sides see it. */
export interface CardStatus {
  slot: number | null;
  cardSerial: string | null;
  instanceAid: string | null;
  loadFileAid: string | null;
  lifeCycle: number | null;
  record: CardRecordView | null;
  platform: { state: PlatformCard['state']; applicationId: string | null; cardNumber: string | null } | null;
}

export function cardSerialOf(seSerial: string, slot: number): string {
  return `${seSerial.toLowerCase()}${slot.toString(16).padStart(2, '0')}`;
}

export function reconcile(seSerial: string, se: SeRegistry, rows: PlatformCard[]): { cards: CardStatus[]; drift: Drift[] } {
  const cards: CardStatus[] = [];
  const drift: Drift[] = [];
  const matched = new Set<PlatformCard>();
  const live = rows.filter((r) => r.state !== 'empty');
  for (const { entry, record } of se.applications) {
    const row = record !== null ? live.find((r) => r.slot === record.slot) : live.find((r) => r.instanceAid === entry.aid);
    const slot = record?.slot ?? row?.slot ?? null;
    const cardSerial = slot === null ? null : cardSerialOf(seSerial, slot);
    if (row !== undefined) matched.add(row);
    cards.push({
      slot,
      cardSerial,
      instanceAid: entry.aid,
      loadFileAid: entry.elfAid === '' ? null : entry.elfAid,
      lifeCycle: entry.lifeCycle,
      record,
      platform: row === undefined ? null : { state: row.state, applicationId: row.applicationId, cardNumber: row.cardNumber },
    });
    const at = { slot, cardSerial, aid: entry.aid };
    if (record === null) drift.push({ kind: 'no-card-manager-record', ...at, detail: `application ${entry.aid} has no card-manager record` });
    if (row === undefined) {
      drift.push({ kind: 'unknown-on-se', ...at, detail: `the SE holds ${entry.aid}${slot === null ? '' : ` in slot ${slot}`}; the platform has no installed card for it` });
      continue;
    }
    if (row.state !== 'installed') drift.push({ kind: 'row-in-transition', ...at, detail: `the platform's row is '${row.state}'; the SE holds the card` });
    if (row.instanceAid !== null && row.instanceAid !== entry.aid) {
      drift.push({ kind: 'instance-differs', ...at, detail: `installed ${row.instanceAid}, the SE holds ${entry.aid}` });
    }
    if (record !== null && row.cardNumber !== null && row.cardNumber !== record.cardNumber) {
      drift.push({ kind: 'card-number-differs', ...at, detail: `installed card number ${row.cardNumber}, the card manager has ${record.cardNumber}` });
    }
  }
  for (const row of live) {
    if (matched.has(row)) continue;
    cards.push({
      slot: row.slot,
      cardSerial: row.cardSerial,
      instanceAid: row.instanceAid,
      loadFileAid: null,
      lifeCycle: null,
      record: null,
      platform: { state: row.state, applicationId: row.applicationId, cardNumber: row.cardNumber },
    });
    drift.push({
      kind: 'missing-on-se',
      slot: row.slot,
      cardSerial: row.cardSerial,
      aid: row.instanceAid,
      detail: `the platform's row is '${row.state}'${row.applicationId === null ? '' : ` (${row.applicationId})`}; the SE holds no such card`,
    });
  }
  for (const f of se.loadFiles) {
    if (!se.applications.some((a) => a.entry.elfAid === f.aid)) drift.push({ kind: 'orphan-load-file', slot: null, cardSerial: null, aid: f.aid, detail: `load file ${f.aid} holds no application` });
  }
  cards.sort((a, b) => (a.slot ?? 99) - (b.slot ?? 99));
  return { cards, drift };
}
