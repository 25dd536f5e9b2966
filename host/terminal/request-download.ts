/**
 * `tapcard terminal --download APP`: asks the platform for a card. A platform that cannot take the
 * request now (TerminalError UNAVAILABLE: its database away) is asked again, as a POS sends an HTTP
 * request again after a 503; a refusal is final.
 */
import { TerminalError } from './terminal';

/** How often and how many times a download the platform cannot take now is asked for again. */
export const BUSY_RETRY_MS = 2000;
export const BUSY_TRIES = 30;

type Log = (event: string, detail?: Record<string, unknown>) => void;

/** Resolves with the job id, or null when the platform refused or stayed busy for BUSY_TRIES requests; logs each outcome. */
export async function requestDownload(terminal: { requestDownload(app: string): Promise<string> }, app: string, log: Log, retryMs: number): Promise<string | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      const jobId = await terminal.requestDownload(app);
      log('terminal.download.requested', { app, jobId });
      return jobId;
    } catch (err) {
      const busy = err instanceof TerminalError && err.code === 'UNAVAILABLE';
      if (!busy || attempt >= BUSY_TRIES) {
        log('terminal.download.refused', { app, error: (err as Error).message });
        return null;
      }
      log('terminal.download.busy', { app, attempt, retryInMs: retryMs, error: err.message });
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
