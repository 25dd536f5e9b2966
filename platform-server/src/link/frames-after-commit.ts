/**
 * Frames leave only after the commits before them are on disk (group commit, db/port.ts): a frame
 * carries a counter, a job step or an answer the database has just recorded, and a device that
 * acted on one the platform then forgot would be ahead of it (a counter used twice, a step done
 * twice). The frames of one event-loop turn wait for its end, then one durable() covers all of
 * them and they go out in the order they were sent.
 */
import type { LinkTransport } from '../../../net/mqtt/link-transport';
import type { PlatformDb } from '../db/port';

interface Held {
  deviceId: string;
  frame: Uint8Array;
  resolve(): void;
  reject(err: unknown): void;
}

export function framesAfterCommit(inner: LinkTransport, db: PlatformDb): LinkTransport {
  let held: Held[] = [];
  let flush: NodeJS.Immediate | null = null;
  const release = (): void => {
    flush = null;
    const out = held;
    held = [];
    try {
      db.durable();
    } catch (err) {
      // Not on disk: nothing may go out (the device will be asked again after the PoR timeout).
      for (const h of out) h.reject(err);
      return;
    }
    for (const h of out) inner.send(h.deviceId, h.frame).then(h.resolve, h.reject);
  };
  return {
    send(deviceId, frame) {
      return new Promise<void>((resolve, reject) => {
        held.push({ deviceId, frame, resolve, reject });
        flush ??= setImmediate(release);
      });
    },
    onFrame: (handler) => inner.onFrame(handler),
    async close() {
      if (flush !== null) {
        clearImmediate(flush);
        release();
      }
      await inner.close();
    },
  };
}
