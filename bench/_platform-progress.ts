/**
 * Progress lines on stderr for the platform bench's large fleets, whose set-up and timed phase take
 * minutes: terminals started (every PROGRESS_EVERY), then jobs done every PROGRESS_MS, and the first
 * failed job. Fleets of up to QUIET_MAX terminals print nothing.
 */
import { fmt } from './_report';

const QUIET_MAX = 1000;
const PROGRESS_EVERY = 1000;
const PROGRESS_MS = 10_000;

export class Progress {
  private readonly t0 = Date.now();
  private shown = 0;
  private done = 0;
  private failed = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly terminals: number) {}

  started(count: number): void {
    if (count - this.shown < PROGRESS_EVERY && count !== this.terminals) return;
    this.shown = count;
    this.line(`${fmt(count)} terminals started`);
  }

  /** The timed phase begins: jobs done are reported every PROGRESS_MS until stop(). */
  timing(): void {
    this.line('timed phase: jobs start');
    if (this.terminals > QUIET_MAX) this.timer = setInterval(() => this.line(`${fmt(this.done)} jobs done`), PROGRESS_MS);
  }

  jobDone<T>(job: T): T {
    this.done++;
    return job;
  }

  /** Shows the first failure at once (the bench reports it only after closing every terminal) and rethrows. */
  jobFailed(err: unknown): never {
    if (this.failed++ === 0) this.line(`first failed job: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private line(text: string): void {
    if (this.terminals <= QUIET_MAX) return;
    const s = ((Date.now() - this.t0) / 1000).toFixed(0);
    const rss = (process.memoryUsage.rss() / 1048576).toFixed(0);
    console.error(`platform bench, ${fmt(this.terminals)} terminals, ${s} s: ${text} (fleet rss ${rss} MB)`);
  }
}
