/**
 * The download request (TAR_DOWNLOAD_REQUEST, docs/flows.md §2): the user picked an application at
 * the terminal. The answer, carried in the PoR, is `job:<id>` for the queued (or already active)
 * download job, `busy:<reason>` when the platform cannot take it now (its database is away: asking
 * again later can succeed), or `refused:<reason>`.
 */
import { decodeDownloadRequest } from '../../../firmware/src/core/mcu/download-request';
import { IssuerError } from '../../../contracts/issuer';
import { DatabaseUnavailableError } from '../db/port';

const MAX_ANSWER = 200;

/** The answer to a download request; `request` queues the job for the named application or throws why not. */
export function answerDownloadRequest(data: Uint8Array, request: (applicationId: string) => { id: string }): Uint8Array {
  const appId = decodeDownloadRequest(data, data.length);
  try {
    if (appId === '') throw new IssuerError('malformed application id', 'UNKNOWN_APPLICATION');
    return new TextEncoder().encode(`job:${request(appId).id}`);
  } catch (err) {
    const kind = err instanceof DatabaseUnavailableError ? 'busy' : 'refused';
    return new TextEncoder().encode(`${kind}:${(err as Error).message}`.slice(0, MAX_ANSWER));
  }
}
