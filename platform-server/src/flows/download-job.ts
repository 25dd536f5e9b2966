/**
 * The download job (flow 2, docs/flows.md §2), one per (device, application), as named steps
 * (job-steps.ts) run by the scheduler (job-scheduler.ts):
 *
 *   queued -> opening -> loading -> completing -> done        (any -> failed)
 *
 *   relay seq  step
 *   0-4        opening     SELECT ISD with INITIALIZE UPDATE, then EXTERNAL AUTHENTICATE with GET STATUS
 *                          (applications) and GET STATUS (load files) beside it, relayed through the
 *                          MCU in two round trips (se-relay.ts open); the GET STATUS answers, under
 *                          R-ENC, are the target card information only the data security unit can
 *                          read; meanwhile the issuer's package for this SE is fetched and kept
 *                          sealed (download-package.ts); the target is a free card or the one already
 *                          holding the package (deleted first); the session seed (host challenge,
 *                          card answer) is persisted with the target, never a key
 *   (3-4       targeting   the GET STATUS one at a time, for a job a platform left in this state)
 *   5..        loading     the install script (download-script.ts), protected command by command and
 *                          relayed a packet's worth at a time (a sequence, se-relay.ts), a few
 *                          sequences in flight; acked_block is the last command the SE answered,
 *                          committed as the answers come (without waiting for the disk: jobs.ts
 *                          recordProgress)
 *   last       completing  the MCU reports the card-manager record of the installed card; cards and
 *                          installations rows are written under the lease's fencing token; the
 *                          move here does not wait for the disk (ownCardInstalled says why that is safe)
 *
 * A command whose PoR does not come (dropped link) is sent again, byte for byte; the MCU answers a
 * repeat from memory (core/mcu/download.ts). A resumed job in 'loading' derives its session again
 * from the seed (SeChannel.restore) and goes on after its last acknowledged command. When the SE
 * lost the session (terminal rebooted), the job opens a new one and starts over; the SE discards a
 * partial load by itself.
 */
import { randomInt } from 'node:crypto';
import { toHex } from '../../../firmware/src/core/hex';
import { P1_STATUS_APPS, P1_STATUS_LOAD_FILES } from '../../../firmware/src/core/gp/constants';
import { SW } from '../../../firmware/src/core/sw';
import { OP_COMPLETE, RESULT_OK } from '../../../firmware/src/core/mcu/relay-message';
import { CARD_NUMBER_LEN, CM_BALANCE, CM_CARD_NUMBER, CM_RECORD_LEN, CM_VERSION } from '../../../firmware/src/core/se/card-manager';
import { SLOT_COUNT } from '../../../firmware/src/core/se/records';
import { audit } from '../db/audit';
import { DatabaseUnavailableError } from '../db/port';
import { nowIso } from '../db/database';
import { getDevice } from '../db/devices';
import type { Platform } from '../platform-home';
import type { SeChannel } from './data-security-unit';
import { dropPackage, issuePackage, packageInfo, storedPackage, type PackageInfo } from './download-package';
import { buildInstallScript } from './download-script';
import { IssuerError, type IssuedPackage } from '../../../contracts/issuer';
import type { IssuerDirectory } from './issuers/issuer-directory';
import { inSession, jobMachine, startOpening, type JobMachine, type StepEnv } from './job-steps';
import { createJob, getJob, listJobs, recordProgress, updateJob, type Job } from './jobs';
import { SEQ_AFTER_OPEN, SessionLost, registryEntries, statusCommand, type RelayContext } from './se-relay';

export interface DownloadContext extends RelayContext {
  /** Load file AID to DELETE (with its applications) before loading, when the SE already holds the application or package. */
  deleteAid: string | null;
  pkg: PackageInfo | null;
  slot: number | null;
}

const SEQ_STATUS_APPS = SEQ_AFTER_OPEN;
const SEQ_STATUS_FILES = SEQ_AFTER_OPEN + 1;
const SEQ_SCRIPT = SEQ_AFTER_OPEN + 2;

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
  return p.db.transactionGrouped(() => {
    const job = createJob<DownloadContext>(p.db, 'download', deviceId, applicationId, 'queued', {
      relayRef: randomInt(1, 0x7fffffff),
      seed: null,
      deleteAid: null,
      pkg: null,
      slot: null,
    });
    audit(p.db, actor, 'download.requested', deviceId, { jobId: job.id, applicationId });
    return job;
  })();
}

/** The download steps; the issuers supply the packages. */
export function downloadJob(issuers: IssuerDirectory): JobMachine {
  return jobMachine<DownloadContext>('download', {
    queued: startOpening,
    opening: (env, job) => openAndTarget(env, job, issuers),
    // A job a platform left here before the opening read the registry itself.
    targeting: (env, job) => inSession(env, job, [], (channel) => target(env, job, channel, issuers)),
    loading: load,
    completing: complete,
  });
}

/** The registry reads of the opening: applications, then load files (GPCS 11.4); 6A88 is an empty part. */
const REGISTRY_READS = [statusCommand(P1_STATUS_APPS), statusCommand(P1_STATUS_LOAD_FILES)];
const REGISTRY_OK = [SW.OK, SW.ERR_REFERENCED_DATA_NOT_FOUND];

/**
 * opening -> loading: the session opened with the two GET STATUS as its reads (se-relay.ts open:
 * SELECT with INITIALIZE UPDATE, then EXTERNAL AUTHENTICATE with the first GET STATUS and the
 * second in flight beside it, two round trips), the issuer's package asked for meanwhile (it does
 * not depend on the SE's answers), then the target chosen and the seed persisted with the move to
 * loading in one commit. A job that stops before that commit (restart, lost session) opens again
 * from the start: the reads change nothing on the SE. The package, once issued, is in the job's
 * context (issuePackage), so an opening that runs again does not ask the issuer again.
 */
async function openAndTarget(env: StepEnv, job: Job<DownloadContext>, issuers: IssuerDirectory): Promise<Job<DownloadContext>> {
  // An opening that runs again may follow a power cut that took back every move after the
  // package's commit, the install and COMPLETE included (neither waits for the disk).
  if (job.context.pkg !== null) {
    const installed = await ownCardInstalled(env, job);
    if (installed !== null) return recordInstalled(env, job, installed);
  }
  const issued = job.context.pkg === null ? issuePackage(env.p, env.log, issuers, job, env.seSerial) : Promise.resolve(storedPackage(env.p, job.id, job.context.pkg));
  issued.catch(() => {}); // awaited below, or before the opening's error goes up
  let opened: Awaited<ReturnType<typeof env.relay.open>>;
  try {
    opened = await env.relay.open(job, env.seSerial, env.kvn, SEQ_SCRIPT, REGISTRY_READS, REGISTRY_OK);
  } catch (err) {
    // Its key-store and context write lands before the job is run again.
    await issued.catch(() => {});
    throw err;
  }
  const { seed, channel, answers } = opened;
  let next: Job<DownloadContext>;
  let pkg: IssuedPackage;
  try {
    pkg = await issued;
    next = choose(env, { ...job, context: { ...job.context, seed } }, answers[0], answers[1], pkg, true);
  } catch (err) {
    channel.close();
    throw err;
  }
  env.session.keep(seed, channel);
  env.session.keepLoadFile(job.id, pkg.loadFile);
  return next;
}

async function target(env: StepEnv, job: Job<DownloadContext>, channel: SeChannel, issuers: IssuerDirectory): Promise<Job<DownloadContext>> {
  const apps = await env.relay.protectedCommand(job, channel, SEQ_STATUS_APPS, REGISTRY_READS[0], REGISTRY_OK, SEQ_SCRIPT);
  const files = await env.relay.protectedCommand(job, channel, SEQ_STATUS_FILES, REGISTRY_READS[1], REGISTRY_OK, SEQ_SCRIPT);
  const stored = job.context.pkg === null ? await issuePackage(env.p, env.log, issuers, job, env.seSerial) : storedPackage(env.p, job.id, job.context.pkg);
  const next = choose(env, job, apps, files, stored, false);
  env.session.keepLoadFile(job.id, stored.loadFile);
  return next;
}

/**
 * The target card from the two GET STATUS answers: the card already holding the application (its
 * load file goes first), else a free one; -> loading. From 'opening' the move does not wait for the
 * disk (unsynced): a power cut that takes it back leaves the job in 'opening', which opens a new
 * session under a fresh relay reference, and the SE drops a partial load at that session's SELECT
 * (core/se/content-loader.ts); the package the move names is on disk before the first sequence
 * leaves (its commit is one the frames wait for: issuePackage). From
 * 'targeting' it does: that step would send its GET STATUS again in the old session, which the SE,
 * further on in it, refuses.
 */
function choose(env: StepEnv, job: Job<DownloadContext>, apps: Uint8Array, files: Uint8Array, stored: IssuedPackage, unsynced: boolean): Job<DownloadContext> {
  const appEntries = registryEntries(apps);
  const fileEntries = registryEntries(files);
  const instance = toHex(stored.instanceAid).toLowerCase();
  const pkgAid = toHex(stored.packageAid).toLowerCase();
  const holder = appEntries.find((e) => e.aid === instance);
  const deleteAid = holder !== undefined && holder.elfAid !== '' ? holder.elfAid : fileEntries.some((e) => e.aid === pkgAid) ? pkgAid : null;
  if (deleteAid === null && appEntries.length >= SLOT_COUNT) throw new Error(`SE ${env.seSerial} has no free card (${appEntries.length} of ${SLOT_COUNT} in use)`);
  const script = buildInstallScript(stored, deleteAid);
  const replaces = deleteAid !== null;
  env.log('dpu.job.target', { jobId: job.id, cardsInUse: appEntries.length, replaces, commands: script.length });
  const ctx = { ...job.context, deleteAid, pkg: job.context.pkg ?? packageInfo(stored) };
  return updateJob(env.p.db, job, { state: 'loading', context: ctx, ackedBlock: -1, totalBlocks: script.length, detail: { cardsInUse: appEntries.length, replaces }, unsynced });
}

/**
 * The script from the command after acked_block on, as many commands per relay command as one
 * packet carries (a sequence: one secured packet, one PoR), a few sequences in flight at once
 * (se-relay.ts protectedSequences); acked_block moves to the last command of the sequences
 * answered, in order, committed without waiting for the disk (recordProgress). The grouping
 * depends on the script alone, so a job resumed from acked_block sends the same sequences byte for
 * byte, and the MCU answers the one it ran last from memory. A session lost here may be one COMPLETE
 * ended before a power cut took back the move to completing: the job asks which card the SE holds
 * before it starts over (ownCardInstalled).
 */
async function load(env: StepEnv, job: Job<DownloadContext>): Promise<Job<DownloadContext>> {
  // The load file the opening had (KeptSession), else the key store's (a job resumed here).
  const script = buildInstallScript(storedPackage(env.p, job.id, job.context.pkg as PackageInfo, env.session.takeLoadFile(job.id)), job.context.deleteAid);
  const plains = script.map((c) => c.apdu);
  const accepted = [statusCommand(P1_STATUS_APPS), statusCommand(P1_STATUS_LOAD_FILES)];
  for (let i = 0; i <= job.acked_block && i < script.length; i++) accepted.push(plains[i]);
  // Without a card number to tell its own card by (ownCardInstalled), the move waits for the disk.
  const unsynced = (job.context.pkg as PackageInfo).cardNumber !== null;
  try {
    return await inSession(env, job, accepted, async (channel) => {
      const total = script.length + SEQ_SCRIPT + 1;
      await env.relay.protectedSequences(job, channel, SEQ_SCRIPT, plains, job.acked_block + 1, [SW.OK], total, () => env.ensureServed(job), (last) => {
        // The last sequence's answer and the move to completing are one commit; before it, progress
        // alone; COMPLETE and the next sequences do not wait for either to be on disk (jobs.ts recordProgress).
        job = last + 1 < script.length ? recordProgress(env.p.db, job, last) : updateJob(env.p.db, job, { ackedBlock: last, state: 'completing', unsynced });
        env.log('dpu.job.progress', { jobId: job.id, acked: last + 1, total: script.length, command: script[last].name });
      });
      return job.state === 'completing' ? job : updateJob(env.p.db, job, { state: 'completing', unsynced });
    });
  } catch (err) {
    if (!(err instanceof SessionLost)) throw err;
    // The SE's session is gone: COMPLETE may have ended it after a power cut took back the move
    // to completing. The card the SE holds says whether the install is done.
    let installed: Uint8Array | null = null;
    try {
      installed = await ownCardInstalled(env, job);
    } catch (probe) {
      if (probe instanceof DatabaseUnavailableError) throw probe;
      env.log('dpu.job.probe.failed', { jobId: job.id, error: (probe as Error).message });
    }
    if (installed === null) throw err;
    return recordInstalled(env, job, installed);
  }
}

/**
 * The MCU's answer to COMPLETE (slot | card-manager record) when the card holding the package's
 * instance is this job's own, by the card number the issuer gave its package; else null (no card
 * holds it, another card does (one the script replaces), or the package names no card number).
 *
 * Why a job asks: the moves to loading and to completing and the script's progress commit without
 * waiting for the disk, so COMPLETE leaves as soon as the last sequence is answered, and a power
 * cut may take all of them back after COMPLETE ran. The SE then holds the installed card and no
 * session (COMPLETE ended it), and the job resumes in 'loading' (its sequences find no session:
 * SessionLost) or 'opening' (the registry shows the card, which the script would DELETE and
 * install again). Asked first, the MCU names the card, and the job writes the outcome COMPLETE
 * would have given: the install runs once. COMPLETE is a read the MCU answers in every state
 * (core/mcu/download.ts); sent with a total past its seq, it ends no SE session, and the device
 * announces no install.
 */
async function ownCardInstalled(env: StepEnv, job: Job<DownloadContext>): Promise<Uint8Array | null> {
  const pkg = job.context.pkg;
  if (pkg === null || pkg.cardNumber === null) return null;
  const seq = SEQ_SCRIPT + (job.total_blocks ?? 0);
  const answer = await env.relay.relayRaw(job, OP_COMPLETE, seq, Buffer.from(pkg.instanceAid, 'hex'), seq + 2);
  const own = answer[0] === RESULT_OK && answer.length === 2 + CM_RECORD_LEN && cardNumberOf(answer.subarray(2)) === pkg.cardNumber.toLowerCase();
  env.log('dpu.job.installed.asked', { jobId: job.id, own });
  return own ? answer : null;
}

function cardNumberOf(record: Uint8Array): string {
  return Buffer.from(record.subarray(CM_CARD_NUMBER, CM_CARD_NUMBER + CARD_NUMBER_LEN)).toString('hex');
}

/** COMPLETE: the MCU names the card holding the installed instance; its rows are written under the fencing token. */
async function complete(env: StepEnv, job: Job<DownloadContext>): Promise<Job<DownloadContext>> {
  const pkg = job.context.pkg as PackageInfo;
  const seq = SEQ_SCRIPT + (job.total_blocks as number);
  const answer = await env.relay.relayRaw(job, OP_COMPLETE, seq, Buffer.from(pkg.instanceAid, 'hex'), seq + 1);
  if (answer[0] !== RESULT_OK || answer.length !== 2 + CM_RECORD_LEN) throw new Error('the terminal reports no card holding the installed application');
  return recordInstalled(env, job, answer);
}

/** The outcome of COMPLETE's answer (slot | card-manager record): cards and installations rows and the job done, under the fencing token. */
function recordInstalled(env: StepEnv, job: Job<DownloadContext>, answer: Uint8Array): Job<DownloadContext> {
  const slot = answer[1];
  const record = answer.subarray(2);
  const seSerial = env.seSerial.toLowerCase();
  const cardSerial = `${seSerial}${slot.toString(16).padStart(2, '0')}`;
  const cardNumber = cardNumberOf(record);
  const balance = (record[CM_BALANCE] << 24) | (record[CM_BALANCE + 1] << 16) | (record[CM_BALANCE + 2] << 8) | record[CM_BALANCE + 3];
  const at = nowIso();
  const db = env.p.db;
  let done = job;
  db.transactionGrouped(() => {
    env.fence(job.device_id);
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
    dropPackage(env.p, job.id);
  })();
  env.log('dpu.job.done', { jobId: job.id, cardSerial, slot });
  return done;
}

function versionOf(record: Uint8Array): string {
  const v = (record[CM_VERSION] << 8) | record[CM_VERSION + 1];
  return `${(v >> 8) & 0xff}.${v & 0xff}`;
}
