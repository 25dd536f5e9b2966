/**
 * The external services of the platform's worker shape (docs/deployment.md), started privately by
 * the platform bench: a mosquitto on a loopback port with the production ACL (MOSQUITTO_ACL, the
 * file `platform broker-cert` writes; plain MQTT with user names instead of TLS client
 * certificates, which would cost each bench device an RSA key), and a PostgreSQL cluster in a
 * temporary folder (scripts/postgres/start.sh: initdb + pg_ctl, fsync on). Their CPU time and
 * memory are read from /proc (proc(5): utime, stime, cutime, cstime in clock ticks; Pss from
 * smaps_rollup, so PostgreSQL's shared buffers count once over its processes).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable } from '../host/pcsc/probes';
import { MqttDeviceTransport } from '../net/mqtt/mqtt-transport';
import { MOSQUITTO_ACL } from '../platform-server/src/mosquitto-files';
import { freePort } from '../test/helpers/mosquitto';

const POSTGRES_SCRIPTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'postgres');
/** Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<major>/bin, off PATH. */
const DEBIAN_POSTGRES = '/usr/lib/postgresql';
/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_S = 100;
const READY_TRIES = 100;
const READY_PAUSE_MS = 50;

/** The binary the worker runs need and this machine lacks, or null when both are there. */
export function missingServiceBinary(): string | null {
  if (findExecutable('mosquitto') === null) return 'mosquitto';
  const debian = existsSync(DEBIAN_POSTGRES) && readdirSync(DEBIAN_POSTGRES).some((v) => existsSync(path.join(DEBIAN_POSTGRES, v, 'bin', 'initdb')));
  if (!debian && findExecutable('initdb') === null) return 'initdb (postgresql)';
  return null;
}

export interface ServiceUsage {
  cpuMs: number;
  /** Proportional set size of the service's processes, summed. */
  pssMB: number;
}

/** CPU time of pid and its children (exited ones included, once reaped) and their Pss, from /proc. */
export function processTreeUsage(pid: number): ServiceUsage {
  let ticks = 0;
  let pssKB = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(`/proc/${entry}/stat`);
    if (stat === null) continue;
    // Fields after the command name (which may hold spaces): state ppid ... utime(14) stime(15) cutime(16) cstime(17).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const self = Number(entry) === pid;
    if (!self && Number(f[1]) !== pid) continue;
    ticks += Number(f[11]) + Number(f[12]);
    if (self) ticks += Number(f[13]) + Number(f[14]);
    const pss = /^Pss:\s+(\d+) kB/m.exec(readProc(`/proc/${entry}/smaps_rollup`) ?? '');
    if (pss !== null) pssKB += Number(pss[1]);
  }
  return { cpuMs: (ticks * 1000) / TICKS_PER_S, pssMB: pssKB / 1024 };
}

function readProc(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // the process ended meanwhile
  }
}

export class PrivateMosquitto {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly host: string,
    readonly port: number,
  ) {}

  /**
   * A fresh broker (no persistence, so no session outlives it). No limit on the QoS 1 messages
   * queued for one client (mosquitto drops beyond max_queued_messages, default 1,000, and the
   * platform's one connection receives every device's up frames).
   */
  static async start(): Promise<PrivateMosquitto> {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-bench-mosquitto-'));
    const port = await freePort();
    // Started as root, mosquitto reads its ACL after it has become the 'mosquitto' user.
    chmodSync(dir, 0o755);
    const acl = path.join(dir, 'tapcard.acl');
    writeFileSync(acl, MOSQUITTO_ACL, { mode: 0o644 });
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `acl_file ${acl}`, 'persistence false', 'max_queued_messages 0', ''].join('\n'));
    const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const said: string[] = [];
    child.stderr?.on('data', (b: Buffer) => said.push(b.toString()));
    const broker = new PrivateMosquitto(child, dir, '127.0.0.1', port);
    for (let i = 0; ; i++) {
      try {
        const probe = await MqttDeviceTransport.connect('bench-probe', { url: broker.url, clientId: '', reconnectPeriodMs: 0 });
        await probe.close();
        return broker;
      } catch (err) {
        if (i >= READY_TRIES || child.exitCode !== null) {
          await broker.stop();
          throw new Error(`mosquitto did not start: ${(err as Error).message} ${said.join('').slice(-300)}`);
        }
        await new Promise((r) => setTimeout(r, READY_PAUSE_MS));
      }
    }
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  usage(): ServiceUsage {
    return processTreeUsage(this.child.pid as number);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class PrivatePostgres {
  private databases = 0;

  private constructor(
    private readonly state: string,
    /** The cluster's `tapcard` database. */
    readonly url: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const state = mkdtempSync(path.join(tmpdir(), 'tapcard-bench-pg-'));
    const port = String(await freePort());
    const out = execFileSync(path.join(POSTGRES_SCRIPTS, 'start.sh'), [state, port], { encoding: 'utf8' });
    return new PrivatePostgres(state, out.trim().split('\n').pop() as string);
  }

  /** A new empty database on the cluster (a fresh platform per worker run). */
  freshDatabase(): string {
    const name = `bench_${++this.databases}`;
    const u = new URL(this.url);
    execFileSync('psql', ['-h', u.hostname, '-p', u.port, '-U', 'tapcard', '-d', 'postgres', '-qAtc', `CREATE DATABASE ${name}`]);
    u.pathname = `/${name}`;
    return u.toString();
  }

  /**
   * Transactions committed and rolled back in the database at dbUrl so far (pg_stat_database; a
   * statement outside a transaction is one). The server publishes these counts within a second.
   */
  transactions(dbUrl: string): number {
    const u = new URL(dbUrl);
    const name = u.pathname.slice(1);
    const sql = `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '${name}'`;
    return Number(execFileSync('psql', ['-h', u.hostname, '-p', u.port, '-U', 'tapcard', '-d', 'postgres', '-qAtc', sql], { encoding: 'utf8' }).trim());
  }

  usage(): ServiceUsage {
    const pid = Number(readFileSync(path.join(this.state, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return processTreeUsage(pid);
  }

  stop(): void {
    execFileSync(path.join(POSTGRES_SCRIPTS, 'stop.sh'), [this.state]);
    rmSync(this.state, { recursive: true, force: true });
  }
}
