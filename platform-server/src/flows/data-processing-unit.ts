/**
 * The data processing unit: the platform's side of the flows (docs/flows.md). It registers the
 * issuers' applications, answers the device's permission and download requests on the platform
 * link (permission-handler.ts, download-request-handler.ts), and runs the SE jobs, download,
 * delete and status (download-job.ts, delete-job.ts, status-job.ts), on one scheduler
 * (job-scheduler.ts) that resumes them after a restart or a worker's takeover.
 */
import { TAR_DOWNLOAD_REQUEST, TAR_PERMISSION } from '../../../firmware/src/core/mcu/tars';
import { nowIso } from '../db/database';
import type { PlatformLink } from '../link/platform-link';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { deleteJob, queueDelete, type DeleteTarget } from './delete-job';
import { answerDownloadRequest } from './download-request-handler';
import { downloadJob, queueDownload, type DownloadContext } from './download-job';
import type { IssuerDirectory } from './issuers/issuer-directory';
import { JobScheduler, type SchedulerOptions } from './job-scheduler';
import type { Job } from './jobs';
import { answerPermission } from './permission-handler';
import type { RelayContext } from './se-relay';
import { queueStatus, statusJob } from './status-job';

export interface DpuOptions extends SchedulerOptions {
  /** Seconds a permission grant stays valid. */
  grantTtlS?: number;
}

export class DataProcessingUnit {
  private readonly grantTtlS: number;
  private readonly scheduler: JobScheduler;

  constructor(
    private readonly p: Platform,
    private readonly link: PlatformLink,
    private readonly issuers: IssuerDirectory,
    private readonly log: Log,
    opts: DpuOptions = {},
  ) {
    this.grantTtlS = opts.grantTtlS ?? 300;
    this.scheduler = new JobScheduler(p, link, log, [downloadJob(issuers), deleteJob, statusJob], opts);
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
    this.link.route(TAR_PERMISSION, async (req) => answerPermission(this.p, this.log, this.grantTtlS, req.deviceId, req.data));
    this.link.route(TAR_DOWNLOAD_REQUEST, async (req) => answerDownloadRequest(req.data, (appId) => this.requestDownload(req.deviceId, appId, `device:${req.deviceId}`)));
    this.scheduler.start();
  }

  close(): void {
    this.scheduler.close();
  }

  /** Creates a download job (or returns the active one for the same device and application) and runs it. */
  requestDownload(deviceId: string, applicationId: string, actor: string): Job<DownloadContext> {
    this.issuers.find(applicationId);
    const job = queueDownload(this.p, deviceId, applicationId, actor);
    this.log('dpu.job.created', { jobId: job.id, deviceId, applicationId });
    this.scheduler.submit(job);
    return job;
  }

  /** Creates a delete job (or returns the active one for the same target) and runs it. */
  requestDelete(deviceId: string, target: DeleteTarget, actor: string): Job<RelayContext> {
    const job = queueDelete(this.p, deviceId, target, actor);
    this.log('dpu.job.created', { jobId: job.id, deviceId, kind: 'delete' });
    this.scheduler.submit(job);
    return job;
  }

  /** Creates a status job (or returns the active one for the device) and runs it. */
  requestStatus(deviceId: string, actor: string): Job<RelayContext> {
    const job = queueStatus(this.p, deviceId, actor);
    this.log('dpu.job.created', { jobId: job.id, deviceId, kind: 'status' });
    this.scheduler.submit(job);
    return job;
  }

  /** Resolves when the job is done or failed. */
  waitFor<C extends RelayContext = DownloadContext>(jobId: string): Promise<Job<C>> {
    return this.scheduler.waitFor<C>(jobId);
  }
}
