/**
 * Frames leave only after the commits before them are on disk (group commit, db/port.ts): a frame
 * carries a counter, a job step or an answer the database has just recorded, and a device that
 * acted on one the platform then forgot would be ahead of it (a counter used twice, a step done
 * twice). The frames of one event-loop turn wait together for one whenDurable() taken at its end
 * (the fsync runs off the event loop, which goes on meanwhile), then go out in the order they were
 * sent; a later turn's frames go after them.
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
  /** The turns released so far, in order: each sends its frames once its commits are durable. */
  let released: Promise<void> = Promise.resolve();
  const release = (): void => {
    flush = null;
    const out = held;
    held = [];
    const durable = db.whenDurable();
    durable.catch(() => {}); // handled below, once the turns before this one are out
    released = released.then(() => durable).then(
      () => {
        for (const h of out) inner.send(h.deviceId, h.frame).then(h.resolve, h.reject);
      },
      // Not on disk: nothing may go out (the device will be asked again after the PoR timeout).
      (err: unknown) => {
        for (const h of out) h.reject(err);
      },
    );
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
      await released;
      await inner.close();
    },
  };
}
