/**
 * PlatformDb.transactionUnsynced on SQLite under group commit (db/port.ts, db/sqlite.ts): its
 * commit asks for no fsync of the WAL, so durable() after it alone syncs nothing; it is committed
 * (readable at once) and the next commit that asks for one syncs it with its own. Without group
 * commit (synchronous FULL) it is as durable as any commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const fsyncs = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fsyncSync = (fd: number): void => {
    fsyncs.count++;
    fs.fsyncSync(fd);
  };
  return { ...fs, default: { ...fs, fsyncSync }, fsyncSync };
});

const { openDatabase } = await import('../../platform-server/src/db/database');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshDb(): ReturnType<typeof openDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-unsynced-'));
  dirs.push(dir);
  const db = openDatabase(path.join(dir, 'platform.db'));
  db.exec('CREATE TABLE progress (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  db.prepare("INSERT INTO progress (id, n) VALUES ('job', 0)").run();
  return db;
}

function n(db: ReturnType<typeof openDatabase>): number {
  return (db.prepare("SELECT n FROM progress WHERE id = 'job'").get() as { n: number }).n;
}

describe('unsynced transaction', () => {
  it('under group commit, commits without asking durable() for an fsync; the next durable commit syncs it', () => {
    const db = freshDb();
    db.groupCommits();
    db.durable();
    fsyncs.count = 0;
    db.transactionUnsynced(() => db.prepare("UPDATE progress SET n = 1 WHERE id = 'job'").run())();
    expect(n(db)).toBe(1);
    db.durable();
    expect(fsyncs.count).toBe(0);
    db.transaction(() => db.prepare("UPDATE progress SET n = 2 WHERE id = 'job'").run())();
    db.durable();
    expect(fsyncs.count).toBe(1);
    db.close();
  });

  it('a plain statement still asks for one', () => {
    const db = freshDb();
    db.groupCommits();
    db.durable();
    fsyncs.count = 0;
    db.prepare("UPDATE progress SET n = 3 WHERE id = 'job'").run();
    db.durable();
    expect(fsyncs.count).toBe(1);
    db.close();
  });
});
