/**
 * Fault injection for the money and download tests: a process started with TAPCARD_KILL_AT=<point>
 * kills itself with SIGKILL when it reaches that point, as a power cut or `kill -9` would (no
 * finally blocks, no flushed buffers, no answer on the wire); <point>#N kills the Nth time it is
 * reached. TAPCARD_KILL_AT=file:PATH reads the point from PATH each time a kill point is reached,
 * so a running process can be armed (a missing or empty file: none). Unset, a kill point costs one
 * environment lookup. The points name steps the parties share, so all find them here.
 *
 * Points, named for what has just happened (docs/reliability.md "Money"):
 *   pos.after-payment         the POS has the paid recharge order's answer
 *   pos.after-authorise       the POS has the issuer's MAC, the card has not seen it
 *   pos.after-card-answer     the card answered DEBIT / CREDIT / EARN..., the platform has not confirmed
 *   pos.after-confirm         the platform confirmed, the POS has not closed its journal entry
 *   platform.after-payment    the order's payment is committed, its answer not sent
 *   platform.after-authorise  the authorisation is committed, the MAC not sent
 *   platform.after-card-answer the card's answer (a confirm) arrived, nothing of it processed
 *   platform.after-confirm    the confirmation is committed, its answer not sent
 *   terminal.after-relay      the terminal's SE ran a download command the platform relayed, its PoR not sent
 */
import { readFileSync } from 'node:fs';

export const KILL_AT_ENV = 'TAPCARD_KILL_AT';

export const KILL_POINTS = [
  'pos.after-payment', 'pos.after-authorise', 'pos.after-card-answer', 'pos.after-confirm',
  'platform.after-payment', 'platform.after-authorise', 'platform.after-card-answer', 'platform.after-confirm',
  'terminal.after-relay',
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

const FILE_PREFIX = 'file:';
/** How often each point has been reached in this process. */
const reached = new Map<string, number>();

/** Kills this process at once when TAPCARD_KILL_AT names `point` (or names a file that does). */
export function killPoint(point: KillPoint): void {
  const at = process.env[KILL_AT_ENV];
  if (at === undefined || at === '') return;
  const [named, nth] = (at.startsWith(FILE_PREFIX) ? armedIn(at.slice(FILE_PREFIX.length)) : at).split('#');
  if (named !== point) return;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  if (nth === undefined || Number(nth) === count) process.kill(process.pid, 'SIGKILL');
}

function armedIn(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
