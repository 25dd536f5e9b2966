/**
 * The platform's own view of an SE's cards: the cards rows (slot, state) with the installation
 * each holds and the instance AID its download installed (from that download job's context).
 * The delete job resolves `--app` against it; the status job reconciles the SE's registry with it.
 */
import type { PlatformDb } from '../db/database';

export interface PlatformCard {
  cardSerial: string;
  slot: number;
  state: 'empty' | 'installing' | 'installed' | 'deleting';
  applicationId: string | null;
  cardNumber: string | null;
  /** Instance AID the download installed (lower-case hex), when known. */
  instanceAid: string | null;
  /** Load file AID it was installed from, when known. */
  loadFileAid: string | null;
  jobId: string | null;
}

interface Row {
  card_serial: string;
  slot: number;
  state: PlatformCard['state'];
  application_id: string | null;
  card_number: string | null;
  job_id: string | null;
  context: string | null;
}

export function platformCards(db: PlatformDb, seSerial: string): PlatformCard[] {
  const rows = db
    .prepare(
      `SELECT c.card_serial, c.slot, c.state, i.application_id, i.card_number, i.job_id, j.context
         FROM cards c LEFT JOIN installations i ON i.card_serial = c.card_serial LEFT JOIN jobs j ON j.id = i.job_id
        WHERE c.se_serial = ? ORDER BY c.slot, i.application_id`,
    )
    .all(seSerial.toLowerCase()) as Row[];
  return rows.map((r) => ({
    cardSerial: r.card_serial,
    slot: r.slot,
    state: r.state,
    applicationId: r.application_id,
    cardNumber: r.card_number,
    instanceAid: packageField(r.context, 'instanceAid'),
    loadFileAid: packageField(r.context, 'packageAid'),
    jobId: r.job_id,
  }));
}

/** An AID of the download context's package (download-job.ts DownloadContext.pkg). */
function packageField(context: string | null, field: 'instanceAid' | 'packageAid'): string | null {
  if (context === null) return null;
  const pkg = (JSON.parse(context) as { pkg?: Record<string, unknown> | null }).pkg;
  const v = pkg === null || pkg === undefined ? undefined : pkg[field];
  return typeof v === 'string' ? v.toLowerCase() : null;
}
