/**
 * Packets written to a socket in one event-loop turn leave in one write. mqtt-packet (the writer of
 * aedes and of mqtt.js) corks the stream for one packet and uncorks it on the next tick, so only the
 * chunks of one packet share a writev; the link's packets come from separate ticks and immediates:
 *
 * - the broker delivers each QoS 1 PUBLISH from its own setImmediate, after its persistence's
 *   promise (aedes 1.2 client.js deliverQoS), so the up to 8 frames of one secured packet, published
 *   together, went out in 8 writes;
 * - mqtt.js handles each packet of a read on its own tick (client.js work()), so the PUBACKs for
 *   frames that arrived in one read went out in one write each.
 *
 * With this, the first write of a turn corks the socket, and one setImmediate for every socket so
 * held uncorks them: the check phase of the loop turn (or of the next one, when the write ran in a
 * check-phase callback) sends what the turn wrote to each socket in one writev. Nothing is
 * reordered, dropped or held past that turn, so QoS 1, the order of frames and every
 * acknowledgement are kept; only the number of write syscalls falls (4 KB download, one process:
 * about 96 socket writes -> 24; docs/performance.md).
 *
 * end() uncorks fully (Node's Writable), so a close is not held back; an uncork after it is a no-op.
 */
import type { Writable } from 'node:stream';

/** Streams corked this turn, each with its uncork; one immediate releases them all. */
let held: (() => void)[] = [];
let scheduled = false;

function releaseAll(): void {
  scheduled = false;
  const due = held;
  held = [];
  for (const release of due) release();
}

export function coalesceWrites<S extends Writable>(stream: S): S {
  const write = stream.write;
  let corked = false;
  const release = (): void => {
    corked = false;
    stream.uncork();
  };
  stream.write = function (this: S, ...args: Parameters<S['write']>): boolean {
    if (!corked) {
      corked = true;
      stream.cork();
      held.push(release);
      if (!scheduled) {
        scheduled = true;
        setImmediate(releaseAll);
      }
    }
    return write.apply(this, args);
  } as S['write'];
  return stream;
}
