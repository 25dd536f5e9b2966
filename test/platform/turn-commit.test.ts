/**
 * The turn's transaction on SQLite under group commit (db/port.ts transactionGrouped, db/sqlite.ts):
 * the grouped commits of one event-loop turn are one SQLite transaction, committed at the end of
 * the turn, before any fsync, or at once by a plain write; each grouped commit still rolls back
 * alone when it throws. A second connection on the same file sees what the WAL holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform-server/src/db/database';
import { DatabaseUnavailableError, type PlatformDb } from '../../platform-server/src/db/port';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-turn-'));
  dirs.push(dir);
  const file = path.join(dir, 'platform.db');
  const db = openDatabase(file);
  db.exec('CREATE TABLE rows (n INTEGER PRIMARY KEY)');
  db.close();
  return file;
}

function rows(db: PlatformDb): number[] {
  return (db.prepare('SELECT n FROM rows ORDER BY n').all() as { n: number }[]).map((r) => r.n);
}

function grouped(db: PlatformDb, n: number): void {
  db.transactionGrouped(() => db.prepare('INSERT INTO rows (n) VALUES (?)').run(n))();
}

describe("the turn's transaction", () => {
  it('commits the grouped commits of one turn together at its end', async () => {
    const file = freshFile();
    const db = openDatabase(file);
    const other = openDatabase(file);
    db.groupCommits();
    grouped(db, 1);
    grouped(db, 2);
    expect(rows(db)).toEqual([1, 2]); // this connection reads its own turn
    expect(rows(other)).toEqual([]); // not committed yet
    await nextTurn();
    expect(rows(other)).toEqual([1, 2]);
    other.close();
    db.close();
  });

  it('a plain write or transaction commits the turn at once, grouped commits before it included', () => {
    const file = freshFile();
    const db = openDatabase(file);
    const other = openDatabase(file);
    db.groupCommits();
    grouped(db, 1);
    db.prepare('INSERT INTO rows (n) VALUES (2)').run();
    expect(rows(other)).toEqual([1, 2]);
    grouped(db, 3);
    db.transaction(() => db.prepare('INSERT INTO rows (n) VALUES (4)').run())();
    expect(rows(other)).toEqual([1, 2, 3, 4]);
    other.close();
    db.close();
  });

  it('rolls back a grouped commit that throws alone, and durable() commits the rest before its fsync', async () => {
    const file = freshFile();
    const db = openDatabase(file);
    db.groupCommits();
    grouped(db, 1);
    expect(() =>
      db.transactionGrouped(() => {
        db.prepare('INSERT INTO rows (n) VALUES (2)').run();
        throw new Error('refused');
      })(),
    ).toThrow('refused');
    expect(() => grouped(db, 1)).toThrow(/UNIQUE/); // a failing statement backs out alone
    grouped(db, 3);
    const other = openDatabase(file);
    expect(rows(other)).toEqual([]);
    db.durable();
    expect(rows(other)).toEqual([1, 3]);
    grouped(db, 4);
    await db.whenDurable();
    expect(rows(other)).toEqual([1, 3, 4]);
    other.close();
    db.close();
  });

  it('close() commits an open turn; without group commit a grouped commit is a plain transaction', () => {
    const file = freshFile();
    const db = openDatabase(file);
    grouped(db, 1);
    const other = openDatabase(file);
    expect(rows(other)).toEqual([1]);
    db.groupCommits();
    grouped(db, 2);
    db.close();
    expect(rows(other)).toEqual([1, 2]);
    other.close();
  });

  it('a turn whose COMMIT fails is lost as in a power cut: its waiters are told and every write refused until the database is opened again', async () => {
    const file = freshFile();
    const setup = openDatabase(file);
    // A deferred foreign key is checked at COMMIT: a way to make a turn's COMMIT fail on demand.
    setup.exec('CREATE TABLE parents (id INTEGER PRIMARY KEY); CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)');
    setup.close();
    const db = openDatabase(file);
    db.groupCommits();
    grouped(db, 1);
    db.transactionGrouped(() => db.prepare('INSERT INTO children (parent) VALUES (7)').run())();
    await expect(db.whenDurable()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(() => grouped(db, 2)).toThrow(DatabaseUnavailableError);
    expect(() => db.prepare('INSERT INTO rows (n) VALUES (3)').run()).toThrow(DatabaseUnavailableError);
    expect(() => db.transaction(() => db.prepare('INSERT INTO rows (n) VALUES (4)').run())()).toThrow(DatabaseUnavailableError);
    expect(() => db.exec('INSERT INTO rows (n) VALUES (5)')).toThrow(DatabaseUnavailableError);
    expect(rows(db)).toEqual([]); // reads go on: nothing of the lost turn, nothing after it
    db.close();
    const reopened = openDatabase(file);
    reopened.groupCommits();
    grouped(reopened, 6);
    reopened.durable();
    expect(rows(reopened)).toEqual([6]);
    reopened.close();
  });
});
