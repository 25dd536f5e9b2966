/**
 * The data processing unit: permission and download jobs (here), delete and status
 * jobs (delete-job.ts, status-job.ts), as persisted state machines (jobs.ts) driven over the
 * platform link (link/platform-link.ts) and the MCU relay (se-relay.ts). Docs: docs/flows.md.
 *
 * Permission (TAR_PERMISSION, flow 1): the device's request names its SE serial; an active device
 * whose SE it is gets the ISD key set with an expiry (data-security-unit.ts); every answer is
 * audited with KCVs only.
 *
 * Download (flow 2), one job per (device, application), jobs of a device run one after another:
 *
 *   queued -> opening -> targeting -> loading -> completing -> done        (any -> failed)
 *
 *   opening     SELECT ISD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE relayed through the MCU; the
 *               session seed (host challenge, card answer) is persisted, never a key
 *   targeting   GET STATUS (applications, load files) under R-ENC: the target card information
 *               only the data security unit can read; the issuer's package for this SE is fetched
 *               and kept sealed in the key store; the target is a free card or the one already
 *               holding the package (deleted first)
 *   loading     the install script (download-script.ts), protected command by command; acked_block
 *               is the last command the SE answered, persisted before the next is sent
 *   completing  the MCU reports the card-manager record of the installed card; cards and
 *               installations rows are written
 *
 * A command whose PoR does not come (dropped link) is sent again, byte for byte; the MCU answers a
 * repeat from memory (core/mcu/download.ts). After a platform restart, start() resumes every
 * active job from its last acknowledged command: the SCP03 session is derived again from its seed
 * (SeChannel.restore). When the SE lost the session (terminal rebooted), the job opens a new one
 * and starts over; the SE discards a partial load by itself.
 *
 * With several platform workers (workers/device-leases.ts) a device's jobs run on the worker that
 * holds its lease; a job whose device moved to another worker stops here without writing, and
 * the new holder resumes it exactly as after a restart. The outcome of a download is written under
 * the lease's fencing token.
 */
import { randomInt } from 'node:crypto';
import { toHex } from '../../../firmware/src/core/hex';
import { P1_STATUS_APPS, P1_STATUS_LOAD_FILES } from '../../../firmware/src/core/gp/constants';
import { SW } from '../../../firmware/src/core/sw';
import { GRANT_DENIED, SE_SERIAL_LEN } from '../../../firmware/src/core/mcu/permission';
import { decodeDownloadRequest } from '../../../firmware/src/core/mcu/download-request';
import { OP_COMPLETE, RESULT_OK } from '../../../firmware/src/core/mcu/relay-message';
import { TAR_DOWNLOAD_REQUEST, TAR_PERMISSION } from '../../../firmware/src/core/mcu/tars';
import { CARD_NUMBER_LEN, CM_BALANCE, CM_CARD_NUMBER, CM_RECORD_LEN } from '../../../firmware/src/core/se/card-manager';
import { SLOT_COUNT } from '../../../firmware/src/core/se/records';
import { audit } from '../db/audit';
import { nowIso } from '../db/database';
import { getDevice } from '../db/devices';
import type { PlatformLink } from '../link/platform-link';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { aesKcv } from '../pki/diversify';
import { SeChannel, isdKeys, permissionGrant, type SessionSeed } from './data-security-unit';
import { advanceDelete, queueDelete, type DeleteTarget } from './delete-job';
import { buildInstallScript, type ScriptCommand } from './download-script';
import { IssuerError, type IssuedPackage, type IssuerDirectory } from './issuers/issuer';
import { createJob, getJob, listJobs, updateJob, type Job, type JobKind } from './jobs';
import { SeRelay, SessionLost, registryEntries, statusCommand, type RelayContext, type SeJobEnv } from './se-relay';
import { advanceStatus, queueStatus } from './status-job';
import { LeaseLost, type DeviceLeases } from '../workers/device-leases';

export type DownloadState = 'queued' | 'opening' | 'targeting' | 'loading' | 'completing' | 'done' | 'failed';

/** The package as the job keeps it in its context: everything but the load file, which is sealed. */
interface PackageInfo {
  packageAid: string;
  moduleAid: string;
  instanceAid: string;
  privileges: string;
  installParams: string | null;
  cardNumber: string | null;
  size: number;
}

export interface DownloadContext extends RelayContext {
  /** Load file AID to DELETE (with its applications) before loading, when the SE already holds the application or package. */
  deleteAid: string | null;
  pkg: PackageInfo | null;
  slot: number | null;
}

export interface DpuOptions {
  /** How long to wait for one PoR. */
  porTimeoutMs?: number;
  /** Sends of one command before the job fails (dropped link). */
  sendLimit?: number;
  /** Fresh sessions per job before it fails (SE lost its session). */
  attemptLimit?: number;
  /** Seconds a permission grant stays valid. */
  grantTtlS?: number;
  /** Several workers: run a device's jobs only while this worker holds its lease. */
  leases?: DeviceLeases;
}

/** Relay seq numbers: 0..2 open (se-relay.ts), 3..4 target, then the script, then COMPLETE. */
const SEQ_STATUS_APPS = 3;
const SEQ_STATUS_FILES = 4;
const SEQ_SCRIPT = 5;
const PACKAGE_PURPOSE = 'package';
const QUEUE_POLL_MS = 1000;
/** Job kinds that run a session with the SE through the relay, one after another per device. */
const SE_JOB_KINDS: readonly JobKind[] = ['download', 'delete', 'status'];

/**
 * Writes a queued download job (or returns the active one for the same device and application).
 * A running data processing unit picks it up; `tapcard platform download` calls this directly.
 */
export function queueDownload(p: Platform, deviceId: string, applicationId: string, actor: string): Job<DownloadContext> {
  const device = getDevice(p.db, deviceId);
  if (device === undefined || device.status !== 'active') throw new IssuerError(`device '${deviceId}' is not provisioned or not active`, 'ISSUER_REFUSED');
  if (p.db.prepare('SELECT id FROM applications WHERE id = ?').get(applicationId) === undefined) {
    throw new IssuerError(`no application '${applicationId}' (applications are registered when the platform starts)`, 'UNKNOWN_APPLICATION');
  }
  const active = listJobs(p.db, { deviceId, active: true }).find((j) => j.kind === 'download' && j.application_id === applicationId);
  if (active !== undefined) return getJob<DownloadContext>(p.db, active.id) as Job<DownloadContext>;
  const job = createJob<DownloadContext>(p.db, 'download', deviceId, applicationId, 'queued', {
    relayRef: randomInt(1, 0x7fffffff),
    seed: null,
    deleteAid: null,
    pkg: null,
    slot: null,
  });
  audit(p.db, actor, 'download.requested', deviceId, { jobId: job.id, applicationId });
  return job;
}

function jobOwner(jobId: string): string {
  return `job:${jobId}`;
}

export class DataProcessingUnit {
  private readonly porTimeoutMs: number;
  private readonly sendLimit: number;
  private readonly attemptLimit: number;
  private readonly grantTtlS: number;
  private readonly leases: DeviceLeases | null;
  /** One chain per device: its jobs run one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, ((job: Job<RelayContext>) => void)[]>();
  /** Jobs handed to a chain, so the queue poller does not schedule one twice. */
  private readonly scheduled = new Set<string>();
  private poller: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly env: SeJobEnv;

  constructor(
    private readonly p: Platform,
    private readonly link: PlatformLink,
    private readonly issuers: IssuerDirectory,
    private readonly log: Log,
    opts: DpuOptions = {},
  ) {
    this.porTimeoutMs = opts.porTimeoutMs ?? 10_000;
    this.sendLimit = opts.sendLimit ?? 20;
    this.attemptLimit = opts.attemptLimit ?? 3;
    this.grantTtlS = opts.grantTtlS ?? 300;
    this.leases = opts.leases ?? null;
    const relay = new SeRelay(p, link, log, { porTimeoutMs: this.porTimeoutMs, sendLimit: this.sendLimit }, () => this.closed);
    this.env = { p, relay, log };
  }

  /** Registers the platform's link applications, the issuers' applications, and resumes active jobs. */
  start(): void {
    const at = nowIso();
    for (const a of this.issuers.applications()) {
      this.p.db
        .prepare(
          `INSERT INTO applications (id, issuer, name, version, package_aid, applet_aid, package_hash, created_at) VALUES (?, ?, ?, ?, 'per-card', 'per-card', 'per-card', ?)
           ON CONFLICT(id) DO UPDATE SET name = excluded.name, version = excluded.version`,
        )
        .run(a.id, a.issuer, a.name, a.version, at);
    }
    this.link.route(TAR_PERMISSION, async (req) => this.onPermissionRequest(req.deviceId, req.data));
    this.link.route(TAR_DOWNLOAD_REQUEST, async (req) => this.onDownloadRequest(req.deviceId, req.data));
    for (const row of listJobs(this.p.db, { active: true })) {
      if (!SE_JOB_KINDS.includes(row.kind) || !this.serves(row.device_id)) continue;
      this.log('dpu.job.resume', { jobId: row.id, deviceId: row.device_id, state: row.state, ackedBlock: row.acked_block });
      this.schedule(row.device_id, row.id);
    }
    // Jobs queued by another process (`tapcard platform download|delete|status` write them to the
    // database), and jobs of devices whose worker died (their leases expired).
    this.poller = setInterval(() => {
      for (const row of listJobs(this.p.db, { active: true })) {
        if (SE_JOB_KINDS.includes(row.kind) && !this.scheduled.has(row.id) && this.serves(row.device_id)) this.schedule(row.device_id, row.id);
      }
    }, QUEUE_POLL_MS);
    this.poller.unref();
  }

  close(): void {
    this.closed = true;
    if (this.poller !== null) clearInterval(this.poller);
  }

  /** Creates a download job (or returns the active one for the same device and application) and runs it. */
  requestDownload(deviceId: string, applicationId: string, actor: string): Job<DownloadContext> {
    this.issuers.find(applicationId);
    const job = queueDownload(this.p, deviceId, applicationId, actor);
    this.log('dpu.job.created', { jobId: job.id, deviceId, applicationId });
    if (!this.scheduled.has(job.id) && this.serves(deviceId)) this.schedule(deviceId, job.id);
    return job;
  }

  /** Creates a delete job (or returns the active one for the same target) and runs it (delete-job.ts). */
  requestDelete(deviceId: string, target: DeleteTarget, actor: string): Job<RelayContext> {
    const job = queueDelete(this.p, deviceId, target, actor);
    this.log('dpu.job.created', { jobId: job.id, deviceId, kind: 'delete' });
    if (!this.scheduled.has(job.id) && this.serves(deviceId)) this.schedule(deviceId, job.id);
    return job;
  }

  /** Creates a status job (or returns the active one for the device) and runs it (status-job.ts). */
  requestStatus(deviceId: string, actor: string): Job<RelayContext> {
    const job = queueStatus(this.p, deviceId, actor);
    this.log('dpu.job.created', { jobId: job.id, deviceId, kind: 'status' });
    if (!this.scheduled.has(job.id) && this.serves(deviceId)) this.schedule(deviceId, job.id);
    return job;
  }

  /** Resolves when the job is done or failed. */
  waitFor<C extends RelayContext = DownloadContext>(jobId: string): Promise<Job<C>> {
    const now = getJob<C>(this.p.db, jobId);
    if (now === undefined) return Promise.reject(new Error(`no job '${jobId}'`));
    if (now.state === 'done' || now.state === 'failed') return Promise.resolve(now);
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push((job) => resolve(job as Job<C>));
      this.waiters.set(jobId, list);
    });
  }

  /** True when this process runs the device's jobs: always alone, else while it holds the lease. */
  private serves(deviceId: string): boolean {
    return this.leases === null || this.leases.claim(deviceId);
  }

  /** False once the device moved to another worker: the job is left to it, untouched. */
  private stillServes(job: Job<RelayContext>): boolean {
    if (this.leases === null || this.leases.holds(job.device_id)) return true;
    this.scheduled.delete(job.id);
    this.log('dpu.job.released', { jobId: job.id, deviceId: job.device_id, state: job.state });
    return false;
  }

  private schedule(deviceId: string, jobId: string): void {
    this.scheduled.add(jobId);
    const prev = this.chains.get(deviceId) ?? Promise.resolve();
    const next = prev.then(() => this.run(jobId)).catch((err: Error) => this.log('dpu.job.crashed', { jobId, error: err.message }));
    this.chains.set(deviceId, next);
  }

  private async onPermissionRequest(deviceId: string, data: Uint8Array): Promise<Uint8Array> {
    const device = getDevice(this.p.db, deviceId);
    const serial = Buffer.from(data).toString('hex');
    if (device === undefined || device.status !== 'active' || data.length !== SE_SERIAL_LEN || serial !== device.seSerial) {
      audit(this.p.db, `device:${deviceId}`, 'permission.denied', deviceId, { seSerial: data.length === SE_SERIAL_LEN ? serial : null });
      this.log('dpu.permission.denied', { deviceId });
      return Uint8Array.from([GRANT_DENIED]);
    }
    const expiresAt = Math.floor(Date.now() / 1000) + this.grantTtlS;
    const keys = isdKeys(this.p, device.seSerial);
    const kcv = { isdEnc: aesKcv(keys.enc), isdMac: aesKcv(keys.mac), isdDek: aesKcv(keys.dek) };
    keys.enc.fill(0);
    keys.mac.fill(0);
    keys.dek.fill(0);
    const job = createJob(this.p.db, 'permission', deviceId, null, 'done', { expiresAt, kcv });
    audit(this.p.db, `device:${deviceId}`, 'permission.granted', deviceId, { jobId: job.id, seSerial: device.seSerial, kvn: device.isdKeyVersion, expiresAt, kcv });
    this.log('dpu.permission.granted', { deviceId, jobId: job.id, expiresAt });
    // The link seals the grant into the PoR and the caller's copy is dropped with the request.
    return permissionGrant(this.p, device.seSerial, device.isdKeyVersion, expiresAt);
  }

  private async onDownloadRequest(deviceId: string, data: Uint8Array): Promise<Uint8Array> {
    const appId = decodeDownloadRequest(data, data.length);
    try {
      if (appId === '') throw new IssuerError('malformed application id', 'UNKNOWN_APPLICATION');
      const job = this.requestDownload(deviceId, appId, `device:${deviceId}`);
      return new TextEncoder().encode(`job:${job.id}`);
    } catch (err) {
      return new TextEncoder().encode(`refused:${(err as Error).message}`.slice(0, 200));
    }
  }

  private async run(jobId: string): Promise<void> {
    let job = getJob<RelayContext>(this.p.db, jobId) as Job<RelayContext>;
    const device = getDevice(this.p.db, job.device_id);
    if (device === undefined) {
      this.finish(updateJob(this.p.db, job, { state: 'failed', error: 'device gone' }));
      return;
    }
    while (!this.closed && job.state !== 'done' && job.state !== 'failed') {
      if (!this.stillServes(job)) return;
      try {
        job = await this.step(job, device.seSerial, device.isdKeyVersion);
      } catch (err) {
        if (this.closed || !this.stillServes(job)) return;
        if (err instanceof SessionLost && job.attempts + 1 < this.attemptLimit) {
          job = getJob<RelayContext>(this.p.db, jobId) as Job<RelayContext>;
          this.log('dpu.job.restart', { jobId, reason: (err as Error).message });
          job = updateJob(this.p.db, job, {
            state: 'opening',
            attempt: true,
            ackedBlock: -1,
            context: { ...job.context, relayRef: randomInt(1, 0x7fffffff), seed: null },
            detail: { restart: (err as Error).message },
          });
          continue;
        }
        const latest = getJob<RelayContext>(this.p.db, jobId) as Job<RelayContext>;
        try {
          this.p.db.transaction(() => {
            this.leases?.fence(latest.device_id);
            job = updateJob(this.p.db, latest, { state: 'failed', error: (err as Error).message });
            audit(this.p.db, 'platform', `${job.kind}.failed`, job.device_id, { jobId, error: (err as Error).message });
          })();
        } catch (lost) {
          if (this.stillServes(latest)) throw lost;
          return;
        }
        this.log('dpu.job.failed', { jobId, error: (err as Error).message });
      }
    }
    if (job.state === 'done' || job.state === 'failed') this.finish(job);
  }

  private finish(job: Job<RelayContext>): void {
    const list = this.waiters.get(job.id) ?? [];
    this.waiters.delete(job.id);
    for (const w of list) w(job);
  }

  /** One state of a job of any SE kind; returns the job in its next state. */
  private step(job: Job<RelayContext>, seSerial: string, kvn: number): Promise<Job<RelayContext>> {
    switch (job.kind) {
      case 'download':
        return this.advance(job as Job<DownloadContext>, seSerial, kvn);
      case 'delete':
        return advanceDelete(this.env, job, seSerial, kvn);
      case 'status':
        return advanceStatus(this.env, job, seSerial, kvn);
      default:
        throw new Error(`job ${job.id}: kind '${job.kind}' has no session with the SE`);
    }
  }

  /** One state of a download job; returns the job in its next state. */
  private async advance(job: Job<DownloadContext>, seSerial: string, kvn: number): Promise<Job<DownloadContext>> {
    const db = this.p.db;
    const state = job.state as DownloadState;
    if (state === 'queued' || state === 'opening' || job.context.seed === null) {
      if (state === 'queued') job = updateJob(db, job, { state: 'opening' });
      return this.open(job, seSerial, kvn);
    }
    const pkg = job.context.pkg === null ? null : this.loadPackage(job);
    const script = pkg === null ? [] : buildInstallScript(pkg, job.context.deleteAid);
    const accepted: Uint8Array[] = [];
    if (state === 'loading' || state === 'completing') {
      accepted.push(statusCommand(P1_STATUS_APPS), statusCommand(P1_STATUS_LOAD_FILES));
      for (let i = 0; i <= job.acked_block && i < script.length; i++) accepted.push(script[i].apdu);
    }
    const channel = SeChannel.restore(this.p, seSerial, kvn, job.context.seed as SessionSeed, accepted);
    try {
      switch (state) {
        case 'targeting':
          return await this.target(job, channel, seSerial);
        case 'loading':
          return await this.load(job, channel, script);
        case 'completing':
          return await this.complete(job, script.length);
        default:
          throw new Error(`job ${job.id} in unknown state '${state}'`);
      }
    } finally {
      channel.close();
    }
  }

  private async open(job: Job<DownloadContext>, seSerial: string, kvn: number): Promise<Job<DownloadContext>> {
    const seed = await this.env.relay.open(job, seSerial, kvn, SEQ_SCRIPT);
    return updateJob(this.p.db, job, { state: 'targeting', context: { ...job.context, seed } });
  }

  private async target(job: Job<DownloadContext>, channel: SeChannel, seSerial: string): Promise<Job<DownloadContext>> {
    const apps = await this.env.relay.protectedCommand(job, channel, SEQ_STATUS_APPS, statusCommand(P1_STATUS_APPS), [SW.OK, SW.ERR_REFERENCED_DATA_NOT_FOUND], SEQ_SCRIPT);
    const files = await this.env.relay.protectedCommand(job, channel, SEQ_STATUS_FILES, statusCommand(P1_STATUS_LOAD_FILES), [SW.OK, SW.ERR_REFERENCED_DATA_NOT_FOUND], SEQ_SCRIPT);
    const appEntries = registryEntries(apps);
    const fileEntries = registryEntries(files);
    const stored = job.context.pkg === null ? await this.issuePackage(job, seSerial) : this.loadPackage(job);
    const instance = toHex(stored.instanceAid).toLowerCase();
    const pkgAid = toHex(stored.packageAid).toLowerCase();
    // The target: the card already holding the application (its load file goes first), else a free one.
    const holder = appEntries.find((e) => e.aid === instance);
    const deleteAid = holder !== undefined && holder.elfAid !== '' ? holder.elfAid : fileEntries.some((e) => e.aid === pkgAid) ? pkgAid : null;
    if (deleteAid === null && appEntries.length >= SLOT_COUNT) throw new Error(`SE ${seSerial} has no free card (${appEntries.length} of ${SLOT_COUNT} in use)`);
    const script = buildInstallScript(stored, deleteAid);
    const replaces = deleteAid !== null;
    this.log('dpu.job.target', { jobId: job.id, cardsInUse: appEntries.length, replaces, commands: script.length });
    const ctx = { ...job.context, deleteAid, pkg: job.context.pkg ?? infoOf(stored) };
    return updateJob(this.p.db, job, { state: 'loading', context: ctx, ackedBlock: -1, totalBlocks: script.length, detail: { cardsInUse: appEntries.length, replaces } });
  }

  private async load(job: Job<DownloadContext>, channel: SeChannel, script: ScriptCommand[]): Promise<Job<DownloadContext>> {
    for (let i = job.acked_block + 1; i < script.length; i++) {
      if (!this.stillServes(job)) throw new LeaseLost(`device '${job.device_id}' moved to another worker`);
      await this.env.relay.protectedCommand(job, channel, SEQ_SCRIPT + i, script[i].apdu, [SW.OK], script.length + SEQ_SCRIPT + 1);
      job = updateJob(this.p.db, job, { ackedBlock: i });
      this.log('dpu.job.progress', { jobId: job.id, acked: i + 1, total: script.length, command: script[i].name });
    }
    return updateJob(this.p.db, job, { state: 'completing' });
  }

  private async complete(job: Job<DownloadContext>, scriptLength: number): Promise<Job<DownloadContext>> {
    const pkg = job.context.pkg as PackageInfo;
    const seq = SEQ_SCRIPT + scriptLength;
    const answer = await this.env.relay.relayRaw(job, OP_COMPLETE, seq, Buffer.from(pkg.instanceAid, 'hex'), seq + 1);
    if (answer[0] !== RESULT_OK || answer.length !== 2 + CM_RECORD_LEN) throw new Error('the terminal reports no card holding the installed application');
    const slot = answer[1];
    const record = answer.subarray(2);
    const device = getDevice(this.p.db, job.device_id);
    const seSerial = (device?.seSerial ?? '').toLowerCase();
    const cardSerial = `${seSerial}${slot.toString(16).padStart(2, '0')}`;
    const cardNumber = Buffer.from(record.subarray(CM_CARD_NUMBER, CM_CARD_NUMBER + CARD_NUMBER_LEN)).toString('hex');
    const balance = (record[CM_BALANCE] << 24) | (record[CM_BALANCE + 1] << 16) | (record[CM_BALANCE + 2] << 8) | record[CM_BALANCE + 3];
    const at = nowIso();
    const db = this.p.db;
    let done = job;
    db.transaction(() => {
      this.leases?.fence(job.device_id);
      db.prepare('DELETE FROM installations WHERE card_serial IN (SELECT card_serial FROM cards WHERE se_serial = ? AND slot = ?) AND application_id = ?').run(
        seSerial,
        slot,
        job.application_id,
      );
      db.prepare(
        `INSERT INTO cards (se_serial, slot, card_serial, state, updated_at) VALUES (?, ?, ?, 'installed', ?)
         ON CONFLICT(se_serial, slot) DO UPDATE SET card_serial = excluded.card_serial, state = 'installed', updated_at = excluded.updated_at`,
      ).run(seSerial, slot, cardSerial, at);
      db.prepare(
        `INSERT INTO installations (card_serial, application_id, version, card_number, balance, installed_at, job_id) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(card_serial, application_id) DO UPDATE SET version = excluded.version, card_number = excluded.card_number,
           balance = excluded.balance, installed_at = excluded.installed_at, job_id = excluded.job_id`,
      ).run(cardSerial, job.application_id, versionOf(record), cardNumber, balance, at, job.id);
      done = updateJob(db, job, { state: 'done', cardSerial, context: { ...job.context, slot }, detail: { slot, cardSerial } });
      audit(db, 'platform', 'download.installed', job.device_id, { jobId: job.id, applicationId: job.application_id, cardSerial, slot });
    })();
    this.p.db.prepare('DELETE FROM key_store WHERE owner = ?').run(jobOwner(job.id));
    this.log('dpu.job.done', { jobId: job.id, cardSerial, slot });
    return done;
  }

  private async issuePackage(job: Job<DownloadContext>, seSerial: string): Promise<IssuedPackage> {
    const { adapter } = this.issuers.find(job.application_id as string);
    const pkg = await adapter.issuePackage({ applicationId: job.application_id as string, deviceId: job.device_id, seSerial, jobId: job.id });
    this.p.db.prepare('DELETE FROM key_store WHERE owner = ? AND purpose = ?').run(jobOwner(job.id), PACKAGE_PURPOSE);
    this.p.keys.put(jobOwner(job.id), PACKAGE_PURPOSE, pkg.loadFile);
    this.log('dpu.job.package', { jobId: job.id, octets: pkg.loadFile.length });
    return pkg;
  }

  private loadPackage(job: Job<DownloadContext>): IssuedPackage {
    const info = job.context.pkg as PackageInfo;
    const loadFile = new Uint8Array(this.p.keys.get(jobOwner(job.id), PACKAGE_PURPOSE));
    return {
      loadFile,
      packageAid: Buffer.from(info.packageAid, 'hex'),
      moduleAid: Buffer.from(info.moduleAid, 'hex'),
      instanceAid: Buffer.from(info.instanceAid, 'hex'),
      privileges: Buffer.from(info.privileges, 'hex'),
      installParams: info.installParams === null ? null : Buffer.from(info.installParams, 'hex'),
      cardNumber: info.cardNumber,
    };
  }
}

function infoOf(pkg: IssuedPackage): PackageInfo {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  return {
    packageAid: hex(pkg.packageAid),
    moduleAid: hex(pkg.moduleAid),
    instanceAid: hex(pkg.instanceAid),
    privileges: hex(pkg.privileges),
    installParams: pkg.installParams === null ? null : hex(pkg.installParams),
    cardNumber: pkg.cardNumber,
    size: pkg.loadFile.length,
  };
}

function versionOf(record: Uint8Array): string {
  const v = (record[48] << 8) | record[49];
  return `${(v >> 8) & 0xff}.${v & 0xff}`;
}
