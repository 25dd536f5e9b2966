/** Devices and their secure elements (tables devices, ses). */
import { nowIso, type PlatformDb } from './database';

export type DeviceStatus = 'active' | 'revoked';

export interface DeviceRecord {
  id: string;
  seSerial: string;
  status: DeviceStatus;
  certSerial: string;
  certPem: string;
  brokerSecretHash: string;
  createdAt: string;
  lastSeenAt: string | null;
  isdKeyVersion: number;
}

interface DeviceRow {
  id: string;
  se_serial: string;
  status: DeviceStatus;
  cert_serial: string;
  cert_pem: string;
  broker_secret_hash: string;
  created_at: string;
  last_seen_at: string | null;
  isd_key_version: number;
}

const SELECT = `SELECT d.*, s.isd_key_version FROM devices d JOIN ses s ON s.serial = d.se_serial`;

export interface NewDevice {
  id: string;
  seSerial: string;
  isdKeyVersion: number;
  certSerial: string;
  certPem: string;
  brokerSecretHash: string;
}

/** Inserts the SE and the device; throws on a duplicate device id or SE serial. */
export function insertDevice(db: PlatformDb, d: NewDevice): void {
  const at = nowIso();
  db.prepare('INSERT INTO ses (serial, isd_key_version, created_at) VALUES (?, ?, ?)').run(d.seSerial, d.isdKeyVersion, at);
  db.prepare(
    'INSERT INTO devices (id, se_serial, status, cert_serial, cert_pem, broker_secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(d.id, d.seSerial, 'active', d.certSerial, d.certPem, d.brokerSecretHash, at);
}

export function getDevice(db: PlatformDb, id: string): DeviceRecord | undefined {
  const row = db.prepare(`${SELECT} WHERE d.id = ?`).get(id) as DeviceRow | undefined;
  return row === undefined ? undefined : toRecord(row);
}

export function listDevices(db: PlatformDb): DeviceRecord[] {
  return (db.prepare(`${SELECT} ORDER BY d.created_at, d.id`).all() as DeviceRow[]).map(toRecord);
}

export function setDeviceStatus(db: PlatformDb, id: string, status: DeviceStatus): boolean {
  return db.prepare('UPDATE devices SET status = ? WHERE id = ?').run(status, id).changes === 1;
}

/**
 * Notes that the device was heard from now, without a durable() of its own (transactionUnsynced):
 * nothing outside depends on it, and a power cut may take it back, so the frames that follow (the
 * next command of a job whose PoR this was) do not wait for the disk for it.
 */
export function touchDevice(db: PlatformDb, id: string): void {
  db.transactionUnsynced(() => db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?').run(nowIso(), id))();
}

function toRecord(r: DeviceRow): DeviceRecord {
  return {
    id: r.id,
    seSerial: r.se_serial,
    status: r.status,
    certSerial: r.cert_serial,
    certPem: r.cert_pem,
    brokerSecretHash: r.broker_secret_hash,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    isdKeyVersion: r.isd_key_version,
  };
}
