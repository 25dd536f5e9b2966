/**
 * Group commit on the platform's SQLite (db/port.ts): a frame leaves only after the commits made
 * before it are durable, the frames of one event-loop turn share one whenDurable(), in the order
 * they were sent; when the commits cannot be made durable nothing leaves and the sender is told.
 * The fsync runs off the event loop: commits made while it runs wait for the next one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { audit, listAudit } from '../../platform-server/src/db/audit';
import { openDatabase } from '../../platform-server/src/db/database';
import { DatabaseUnavailableError, type PlatformDb } from '../../platform-server/src/db/port';
import type { SqliteDb } from '../../platform-server/src/db/sqlite';
import { framesAfterCommit } from '../../platform-server/src/link/frames-after-commit';
import { MemoryLinkNetwork } from '../../platform-server/src/mqtt/memory-transport';

const DEVICE = 'dev-frames-1';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-group-commit-'));
  dirs.push(dir);
  return path.join(dir, 'platform.db');
}

/** The real database, with every whenDurable() noted in `events` as it resolves (or rejects). */
function noting(db: PlatformDb, events: string[], fail: Error | null = null): PlatformDb {
  return Object.assign(Object.create(db) as PlatformDb, {
    async whenDurable(): Promise<void> {
      if (fail !== null) {
        events.push('durable failed');
        throw fail;
      }
      await db.whenDurable();
      events.push(`durable (rows: ${rowCount(db)})`);
    },
  });
}

function rowCount(db: PlatformDb): number {
  return listAudit(db, DEVICE).length;
}

function commitRow(db: PlatformDb, n: number): void {
  audit(db, 'test', 'frames.step', DEVICE, { n });
}

describe('frames after commit', () => {
  it('sends the frames of one turn after one durable() covering the commits before them, in order', async () => {
    const db = openDatabase(freshFile());
    db.groupCommits();
    const events: string[] = [];
    const net = new MemoryLinkNetwork();
    const device = net.device(DEVICE);
    device.onFrame((f) => events.push(`frame ${f[0]}`));
    const link = framesAfterCommit(net.platform(), noting(db, events));

    commitRow(db, 1);
    const first = link.send(DEVICE, Uint8Array.of(1));
    commitRow(db, 2);
    const second = link.send(DEVICE, Uint8Array.of(2));
    expect(events).toEqual([]);
    await Promise.all([first, second]);
    expect(events).toEqual(['durable (rows: 2)', 'frame 1', 'frame 2']);
    db.close();
  });

  it('sends nothing and rejects the sends when the commits cannot be made durable', async () => {
    const db = openDatabase(freshFile());
    db.groupCommits();
    const events: string[] = [];
    const net = new MemoryLinkNetwork();
    net.device(DEVICE).onFrame((f) => events.push(`frame ${f[0]}`));
    const link = framesAfterCommit(net.platform(), noting(db, events, new DatabaseUnavailableError('disk gone')));

    commitRow(db, 1);
    await expect(link.send(DEVICE, Uint8Array.of(1))).rejects.toThrow(/disk gone/);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['durable failed']);
    db.close();
  });
});

describe('SQLite group commit', () => {
  it('makes commits durable off the event loop: each whenDurable() for the commits before it, in order', async () => {
    const file = freshFile();
    const db = openDatabase(file) as SqliteDb;
    db.groupCommits();
    const order: string[] = [];
    commitRow(db, 1);
    const first = db.whenDurable().then(() => order.push('first'));
    await new Promise((r) => setImmediate(r)); // the fsync for commit 1 has begun
    commitRow(db, 2);
    const second = db.whenDurable().then(() => order.push('second'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    await db.whenDurable(); // nothing waiting
    db.close();
    const again = openDatabase(file);
    expect(listAudit(again, DEVICE).map((a) => a.detail)).toEqual([{ n: 1 }, { n: 2 }]);
    again.close();
  });

  it('commits without waiting for the disk and keeps every commit across a reopen', () => {
    const file = freshFile();
    const db = openDatabase(file) as SqliteDb;
    expect(db.native.pragma('synchronous', { simple: true })).toBe(2); // FULL until grouped
    db.groupCommits();
    expect(db.native.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.native.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000); // checkpoints (fsyncs on the event loop) a tenth as often
    commitRow(db, 1);
    db.transaction(() => commitRow(db, 2))();
    db.durable();
    commitRow(db, 3); // left to close()
    db.close();
    const again = openDatabase(file);
    expect(listAudit(again, DEVICE).map((a) => a.detail)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    again.close();
  });
});
