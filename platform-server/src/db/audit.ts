/**
 * The audit log (append-only by trigger): who did what to which subject. Callers pass identifiers,
 * KCVs and outcomes; the detail is JSON and must never carry key material.
 */
import { nowIso, type PlatformDb } from './database';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  detail: Record<string, unknown> | null;
}

export function audit(db: PlatformDb, actor: string, action: string, subject: string | null, detail?: Record<string, unknown>): void {
  db.prepare('INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)').run(
    nowIso(),
    actor,
    action,
    subject,
    detail === undefined ? null : JSON.stringify(detail),
  );
}

export function listAudit(db: PlatformDb, subject?: string): AuditEntry[] {
  const rows = (
    subject === undefined
      ? db.prepare('SELECT * FROM audit_log ORDER BY id').all()
      : db.prepare('SELECT * FROM audit_log WHERE subject = ? ORDER BY id').all(subject)
  ) as (Omit<AuditEntry, 'detail'> & { detail: string | null })[];
  return rows.map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) }));
}
