/**
 * The delete job (docs/flows.md §5): the platform removes an installed application
 * from a device's SE through the MCU relay, in its own SCP03 session at security level 33, so the
 * MCU can neither read nor change what is deleted. Named steps (job-steps.ts) run by the scheduler
 * (job-scheduler.ts) and resumed like a download:
 *
 *   queued -> opening -> targeting -> deleting -> confirming -> done        (any -> failed)
 *
 *   relay seq  step        what
 *   0-2        opening     SELECT ISD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE (se-relay.ts)
 *   3-4        targeting   GET STATUS applications and load files (R-ENC); what to delete: the
 *                          instance's load file with its related objects (GPCS 11.2.2.1, P2 80)
 *                          when it holds no other instance, else the instance alone; a load file
 *                          left behind by an instance deleted out of band goes too
 *   5          targeting   the card-manager record of the card holding the instance: its slot
 *   6          deleting    DELETE; 9000, or 6A88 when the SE no longer holds it (already gone:
 *                          the job is done all the same and the rows are fixed)
 *   7          confirming  the record again: no card may hold the instance any more; then the
 *                          cards row goes to 'empty', its installations go, audit `delete.removed`
 *
 * A dropped PoR makes the relay send the same bytes again; after a platform restart the session
 * is derived again from its seed and the GET STATUS commands re-wrapped, so DELETE comes out byte
 * for byte as before and the MCU answers it from memory if the SE already took it.
 */
import { randomInt } from 'node:crypto';
import { P1_STATUS_APPS, P1_STATUS_LOAD_FILES } from '../../../firmware/src/core/gp/constants';
import { buildDelete } from '../../../firmware/src/core/gp/delete';
import { SW } from '../../../firmware/src/core/sw';
import { audit } from '../db/audit';
import { nowIso } from '../db/database';
import type { Platform } from '../platform-home';
import { readCardRecord } from './card-record';
import type { SeChannel } from './data-security-unit';
import { JobRequestError, activeDevice } from './job-request';
import { inSession, jobMachine, openSession, startOpening, type JobMachine, type StepEnv } from './job-steps';
import { createJob, getJob, listJobs, updateJob, type Job } from './jobs';
import { platformCards } from './platform-cards';
import { SEQ_AFTER_OPEN, registryEntries, statusCommand, type RelayContext } from './se-relay';

/** What to delete: the installation of an application (the platform knows its instance), or an AID on the SE. */
export type DeleteTarget = { applicationId: string } | { aid: string };

export interface DeleteContext extends RelayContext {
  /** The instance (or load file) AID to remove, lower-case hex. */
  instanceAid: string;
  /** The platform's card holding it, when it has one. */
  cardSerial: string | null;
  /** The load file the platform installed it from, when known. */
  loadFileAid: string | null;
  /** What the DELETE names, once targeted. */
  deleteAid: string | null;
  slot: number | null;
  cardNumber: string | null;
  /** The SE no longer held the instance when the job looked (or answered DELETE with 6A88). */
  alreadyGone: boolean;
}

const SEQ_STATUS_APPS = SEQ_AFTER_OPEN;
const SEQ_STATUS_FILES = SEQ_AFTER_OPEN + 1;
const SEQ_READ_RECORD = SEQ_AFTER_OPEN + 2;
const SEQ_DELETE = SEQ_AFTER_OPEN + 3;
const SEQ_CONFIRM = SEQ_AFTER_OPEN + 4;
/** Relay commands of a delete job, for the MCU's progress. */
const DELETE_TOTAL = SEQ_CONFIRM + 1;
const AID_HEX = /^(?:[0-9a-f]{2}){5,16}$/;

/**
 * Writes a queued delete job (or returns the active one for the same instance). `applicationId`
 * must be installed on the device per the platform's rows; an AID is taken as given (the SE is
 * the judge, and an AID it does not hold ends the job as already gone).
 */
export function queueDelete(p: Platform, deviceId: string, target: DeleteTarget, actor: string): Job<DeleteContext> {
  const device = activeDevice(p, deviceId);
  const cards = platformCards(p.db, device.seSerial).filter((c) => c.state !== 'empty');
  let instanceAid: string;
  let card;
  if ('applicationId' in target) {
    card = cards.find((c) => c.applicationId === target.applicationId);
    if (card === undefined) throw new JobRequestError(`'${target.applicationId}' is not installed on ${deviceId}`, 'NOT_INSTALLED');
    if (card.instanceAid === null) throw new JobRequestError(`the installation of '${target.applicationId}' on ${deviceId} has no recorded instance AID; delete it by --aid`, 'BAD_REQUEST');
    instanceAid = card.instanceAid;
  } else {
    instanceAid = target.aid.toLowerCase();
    if (!AID_HEX.test(instanceAid)) throw new JobRequestError(`AID '${target.aid}': expected 5 to 16 octets in hex`, 'BAD_REQUEST');
    card = cards.find((c) => c.instanceAid === instanceAid);
  }
  for (const row of listJobs(p.db, { deviceId, active: true })) {
    if (row.kind !== 'delete') continue;
    const active = getJob<DeleteContext>(p.db, row.id) as Job<DeleteContext>;
    if (active.context.instanceAid === instanceAid) return active;
  }
  const cardSerial = card?.cardSerial ?? null;
  let job = createJob<DeleteContext>(p.db, 'delete', deviceId, card?.applicationId ?? null, 'queued', {
    relayRef: randomInt(1, 0x7fffffff),
    seed: null,
    instanceAid,
    cardSerial,
    loadFileAid: card?.loadFileAid ?? null,
    deleteAid: null,
    slot: card?.slot ?? null,
    cardNumber: card?.cardNumber ?? null,
    alreadyGone: false,
  });
  if (cardSerial !== null) job = updateJob(p.db, job, { cardSerial });
  audit(p.db, actor, 'delete.requested', deviceId, { jobId: job.id, applicationId: job.application_id, instanceAid, cardSerial });
  return job;
}

/** The delete steps. */
export const deleteJob: JobMachine = jobMachine<DeleteContext>('delete', {
  queued: startOpening,
  opening: openSession('targeting', DELETE_TOTAL),
  targeting: (env, job) => inSession(env, job, [], (channel) => target(env, job, channel)),
  deleting: (env, job) => inSession(env, job, [statusCommand(P1_STATUS_APPS), statusCommand(P1_STATUS_LOAD_FILES)], (channel) => remove(env, job, channel)),
  confirming: confirm,
});

async function target(env: StepEnv, job: Job<DeleteContext>, channel: SeChannel): Promise<Job<DeleteContext>> {
  const ok = [SW.OK, SW.ERR_REFERENCED_DATA_NOT_FOUND];
  const apps = registryEntries(await env.relay.protectedCommand(job, channel, SEQ_STATUS_APPS, statusCommand(P1_STATUS_APPS), ok, DELETE_TOTAL));
  const files = registryEntries(await env.relay.protectedCommand(job, channel, SEQ_STATUS_FILES, statusCommand(P1_STATUS_LOAD_FILES), ok, DELETE_TOTAL));
  const aid = job.context.instanceAid;
  const holder = apps.find((e) => e.aid === aid);
  // The load file goes with its instance only when it holds no other application (GPCS 11.2.2.1).
  const elf = holder !== undefined && holder.elfAid !== '' ? holder.elfAid : job.context.loadFileAid;
  const soleElf = elf !== null && files.some((f) => f.aid === elf) && !apps.some((e) => e.elfAid === elf && e.aid !== aid);
  const deleteAid = soleElf ? (elf as string) : aid;
  const record = await readCardRecord(env.relay, job, SEQ_READ_RECORD, aid, DELETE_TOTAL);
  const db = env.p.db;
  const ctx: DeleteContext = {
    ...job.context,
    deleteAid,
    alreadyGone: holder === undefined && !files.some((f) => f.aid === aid),
    slot: record?.slot ?? job.context.slot,
    cardNumber: record?.cardNumber ?? job.context.cardNumber,
    cardSerial: record === null ? job.context.cardSerial : `${env.seSerial.toLowerCase()}${record.slot.toString(16).padStart(2, '0')}`,
  };
  env.log('dpu.job.target', { jobId: job.id, held: holder !== undefined, loadFile: files.some((f) => f.aid === deleteAid), slot: ctx.slot });
  let next = job;
  db.transactionGrouped(() => {
    env.fence(job.device_id);
    if (ctx.cardSerial !== null) db.prepare("UPDATE cards SET state = 'deleting', updated_at = ? WHERE card_serial = ? AND state <> 'empty'").run(nowIso(), ctx.cardSerial);
    next = updateJob(db, job, { state: 'deleting', context: ctx, ackedBlock: -1, totalBlocks: 1, cardSerial: ctx.cardSerial ?? undefined, detail: { deleteAid, slot: ctx.slot } });
  })();
  return next;
}

async function remove(env: StepEnv, job: Job<DeleteContext>, channel: SeChannel): Promise<Job<DeleteContext>> {
  const buf = new Uint8Array(32);
  const n = buildDelete(Buffer.from(job.context.deleteAid as string, 'hex'), true, buf);
  if (n < 0) throw new Error(`DELETE: AID ${job.context.deleteAid} does not fit the command`);
  const answer = await env.relay.protectedCommand(job, channel, SEQ_DELETE, buf.slice(0, n), [SW.OK, SW.ERR_REFERENCED_DATA_NOT_FOUND], DELETE_TOTAL);
  const alreadyGone = job.context.alreadyGone || ((answer[answer.length - 2] << 8) | answer[answer.length - 1]) === SW.ERR_REFERENCED_DATA_NOT_FOUND;
  env.log('dpu.job.progress', { jobId: job.id, acked: 1, total: 1, command: 'DELETE', alreadyGone });
  return updateJob(env.p.db, job, { state: 'confirming', ackedBlock: 0, context: { ...job.context, alreadyGone } });
}

async function confirm(env: StepEnv, job: Job<DeleteContext>): Promise<Job<DeleteContext>> {
  const c = job.context;
  const left = await readCardRecord(env.relay, job, SEQ_CONFIRM, c.instanceAid, DELETE_TOTAL);
  if (left !== null) throw new Error(`the SE still holds ${c.instanceAid} in slot ${left.slot} after DELETE`);
  const db = env.p.db;
  let done = job;
  db.transactionGrouped(() => {
    env.fence(job.device_id);
    if (c.cardSerial !== null) {
      db.prepare('DELETE FROM installations WHERE card_serial = ?').run(c.cardSerial);
      db.prepare("UPDATE cards SET state = 'empty', updated_at = ? WHERE card_serial = ?").run(nowIso(), c.cardSerial);
    }
    done = updateJob(db, job, { state: 'done', detail: { cardSerial: c.cardSerial, alreadyGone: c.alreadyGone } });
    audit(db, 'platform', 'delete.removed', job.device_id, {
      jobId: job.id,
      applicationId: job.application_id,
      instanceAid: c.instanceAid,
      deletedAid: c.deleteAid,
      cardSerial: c.cardSerial,
      slot: c.slot,
      cardNumber: c.cardNumber,
      alreadyGone: c.alreadyGone,
    });
  })();
  env.log('dpu.job.done', { jobId: job.id, cardSerial: c.cardSerial, alreadyGone: c.alreadyGone });
  return done;
}
