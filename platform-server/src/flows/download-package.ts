/**
 * The package of a running download job: its AIDs, privileges and parameters in the job's context,
 * its load file only sealed in the key store under the job (owner `job:<id>`) until the job is
 * done, so a resumed job rebuilds the same install script.
 */
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import type { IssuedPackage } from '../../../contracts/issuer';
import type { IssuerDirectory } from './issuers/issuer-directory';
import type { Job } from './jobs';

/** The package as the job keeps it in its context: everything but the load file, which is sealed. */
export interface PackageInfo {
  packageAid: string;
  moduleAid: string;
  instanceAid: string;
  privileges: string;
  installParams: string | null;
  cardNumber: string | null;
  size: number;
}

const PACKAGE_PURPOSE = 'package';

function jobOwner(jobId: string): string {
  return `job:${jobId}`;
}

/**
 * Asks the application's issuer for the SE's package and seals its load file under the job.
 *
 * The sealed package is one of the turn's commits (PlatformDb.transactionGrouped), not a commit of
 * its own: losing it (a kill -9 before the end of the turn, a power cut before the fsync) leaves
 * the job in 'opening' (or 'targeting', download-job.ts) with no package, and the job, resumed, asks the issuer again under the
 * same job id, the issuer interface's idempotency key (contracts/issuer.ts): the remote issuer
 * answers with the same package, and so do the simulated issuers (parties/issued-cards.ts: a job's
 * card number is kept), so no second card is issued and nothing the first answer held reached the
 * device (its LOAD frames wait for the fsync that covers this commit: link/frames-after-commit.ts).
 * A money write is different: the issuer's ledger acted on it, so it commits at once (db/port.ts).
 */
export async function issuePackage(p: Platform, log: Log, issuers: IssuerDirectory, job: Job<unknown>, seSerial: string): Promise<IssuedPackage> {
  const { adapter } = issuers.find(job.application_id as string);
  // The issuer is outside: it hears of the job only once the job is on disk (group commit, db/port.ts).
  await p.db.whenDurable();
  const pkg = await adapter.issuePackage({ applicationId: job.application_id as string, deviceId: job.device_id, seSerial, jobId: job.id });
  p.db.transactionGrouped(() => {
    p.db.prepare('DELETE FROM key_store WHERE owner = ? AND purpose = ?').run(jobOwner(job.id), PACKAGE_PURPOSE);
    p.keys.put(jobOwner(job.id), PACKAGE_PURPOSE, pkg.loadFile);
    // With it, the job's context names it (the opening asks for it beside the SE's answers, and a
    // job that opens again takes the stored one: download-job.ts).
    const row = p.db.prepare('SELECT context FROM jobs WHERE id = ?').get(job.id) as { context: string } | undefined;
    if (row !== undefined) p.db.prepare('UPDATE jobs SET context = ? WHERE id = ?').run(JSON.stringify({ ...(JSON.parse(row.context) as object), pkg: packageInfo(pkg) }), job.id);
  })();
  log('dpu.job.package', { jobId: job.id, octets: pkg.loadFile.length });
  return pkg;
}

/**
 * The package issued earlier for the job: its context's info with the sealed load file, or with
 * loadFile when the caller has it already (job-steps.ts KeptSession: the same bytes, not unsealed again).
 */
export function storedPackage(p: Platform, jobId: string, info: PackageInfo, loadFile: Uint8Array | null = null): IssuedPackage {
  return {
    loadFile: loadFile ?? new Uint8Array(p.keys.get(jobOwner(jobId), PACKAGE_PURPOSE)),
    packageAid: Buffer.from(info.packageAid, 'hex'),
    moduleAid: Buffer.from(info.moduleAid, 'hex'),
    instanceAid: Buffer.from(info.instanceAid, 'hex'),
    privileges: Buffer.from(info.privileges, 'hex'),
    installParams: info.installParams === null ? null : Buffer.from(info.installParams, 'hex'),
    cardNumber: info.cardNumber,
  };
}

/** Drops the job's sealed load file (the job is done). */
export function dropPackage(p: Platform, jobId: string): void {
  p.db.prepare('DELETE FROM key_store WHERE owner = ?').run(jobOwner(jobId));
}

export function packageInfo(pkg: IssuedPackage): PackageInfo {
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
