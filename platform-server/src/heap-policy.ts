/**
 * How far the platform process lets V8's old generation grow past what its last full collection
 * kept before it collects again. V8 sets that limit at each full collection as the live size times
 * a factor that, for a process allowed gigabytes of heap and spending little time collecting, goes
 * up to 4 (its heap controller's dynamic growing factor). The platform keeps a few tens of MB live
 * (devices' link state, broker clients, the jobs in flight), but each job's objects live through
 * its round trips, outlast two scavenges and are promoted, so the old generation filled with
 * garbage at several MB/s and the heap peaked at 2 to 3 times the live size before a full
 * collection (platform bench, 1,000 terminals: heap peak 120-130 MB, 45-65 MB live).
 *
 * `--heap-growing-percent` replaces the factor with 1 + percent/100. V8 reads it each time it sets
 * the next limit, so setting it in the running process takes effect from the next collection: the
 * `tapcard platform start` and `worker` commands and the platform bench's process apply it before
 * starting the platform. A node flag or NODE_OPTIONS that names it wins.
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation grows to 1.5 times the live size before the next full collection. */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = 'heap-growing-percent';

/**
 * The V8 flag to set for the policy, or null when the process was started with its own setting
 * (a node flag or NODE_OPTIONS naming it, in either spelling).
 */
export function heapPolicyFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | null {
  const given = [...execArgv, nodeOptions ?? ''].some((a) => a.includes(FLAG) || a.includes(FLAG.replace(/-/g, '_')));
  return given ? null : `--${FLAG}=${HEAP_GROWING_PERCENT}`;
}

export function applyHeapPolicy(): void {
  const flag = heapPolicyFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag !== null) setFlagsFromString(flag);
}
