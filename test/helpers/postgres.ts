/**
 * PostgreSQL for the suites that run the platform on it: the cluster .ci/run started
 * (TAPCARD_POSTGRES_URL), or a private one in a temporary folder (scripts/postgres/start.sh),
 * stopped with stop(). A suite that stops and starts the server asks for a private one. Each test works in a schema of its own (freshDatabase: a URL whose
 * search_path names it; cheaper than CREATE DATABASE), dropped after.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PostgresDb } from '../../platform-server/src/db/postgres';
import { requireDebian } from './skip';

export const POSTGRES_URL_ENV = 'TAPCARD_POSTGRES_URL';
const SCRIPTS = path.resolve(__dirname, '../../scripts/postgres');

export interface PostgresCluster {
  url: string;
  /** A new, empty schema on the cluster; a URL that works in it. */
  freshDatabase(): string;
  /** Private clusters only: shuts the server down (fast: open connections are ended). */
  stopServer(): void;
  /** Private clusters only: starts the stopped server again on the same port and data. */
  startServer(): void;
  /** Drops the databases made here and stops a private cluster. */
  stop(): void;
}

/** For describe.skipIf: false when a cluster URL is given, else the Debian package check. */
export function postgresMissing(suite: string): boolean {
  const env = process.env[POSTGRES_URL_ENV];
  return env === undefined || env === '' ? requireDebian(suite, ['postgresql']) : false;
}

/** The given cluster (TAPCARD_POSTGRES_URL), else a private one; `private` always starts one (a test that stops its server). */
export function usePostgres(opts: { private?: boolean } = {}): PostgresCluster {
  const env = process.env[POSTGRES_URL_ENV];
  let url: string;
  let state: string | null = null;
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const start = (dir: string): string => execFileSync(path.join(SCRIPTS, 'start.sh'), [dir, port], { encoding: 'utf8' }).trim().split('\n').pop() as string;
  if (env !== undefined && env !== '' && opts.private !== true) {
    url = env;
  } else {
    state = mkdtempSync(path.join(tmpdir(), 'tapcard-pg-'));
    url = start(state);
  }
  const privateState = (): string => {
    if (state === null) throw new Error('only a private cluster can be stopped and started: usePostgres({ private: true })');
    return state;
  };
  const made: string[] = [];
  const admin = (): PostgresDb => new PostgresDb(url);
  return {
    url,
    freshDatabase() {
      const name = `tapcard_test_${process.pid}_${made.length}_${Date.now().toString(36)}`;
      const db = admin();
      try {
        db.exec(`CREATE SCHEMA ${name}`);
      } finally {
        db.close();
      }
      made.push(name);
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${name}`);
      return u.toString();
    },
    stopServer() {
      execFileSync(path.join(SCRIPTS, 'stop.sh'), [privateState()]);
    },
    startServer() {
      start(privateState());
    },
    stop() {
      if (state !== null) {
        execFileSync(path.join(SCRIPTS, 'stop.sh'), [state]);
        rmSync(state, { recursive: true, force: true });
        return;
      }
      const db = admin();
      try {
        for (const name of made.splice(0)) db.exec(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        db.close();
      }
    },
  };
}
