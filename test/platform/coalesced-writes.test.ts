/**
 * Packets written in one event-loop turn leave in one socket write (net/mqtt/coalesce-writes.ts),
 * on the embedded broker's device sockets and on the link clients' sockets, and nothing else about
 * them changes: every chunk arrives, in order, a later turn's after an earlier one's, end() is not
 * held back. On the broker's sockets: broker-publish.test.ts.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../net/mqtt/coalesce-writes';

/** A Writable that records each write it makes (one per _write or _writev) and the chunks. */
function recorder(): { stream: Writable; writes: string[][] } {
  const writes: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      cb();
    },
  });
  return { stream, writes };
}

/** Past the next check phase after the one to come: a release queued in either has run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe('coalesceWrites', () => {
  it('sends what one turn wrote from several ticks and immediates in one write, in order', async () => {
    const { stream, writes } = recorder();
    coalesceWrites(stream);
    // A turn outside the check phase (an I/O callback, a timer): its ticks and microtasks.
    stream.write('a');
    process.nextTick(() => {
      stream.write('b');
      process.nextTick(() => stream.write('c'));
    });
    await turn();
    expect(writes).toEqual([['a', 'b', 'c']]);
    // Writes from the check phase (aedes delivers each QoS 1 PUBLISH from its own immediate).
    for (const x of ['d', 'f']) {
      setImmediate(() => {
        stream.write(x);
        process.nextTick(() => stream.write(`${x}'`));
      });
    }
    await turn();
    expect(writes).toEqual([['a', 'b', 'c'], ['d', "d'", 'f', "f'"]]);
    stream.write('g');
    await turn();
    expect(writes).toEqual([['a', 'b', 'c'], ['d', "d'", 'f', "f'"], ['g']]);
  });

  it("keeps a writer's own cork and uncork (mqtt-packet's) and is not held back by end()", async () => {
    const { stream, writes } = recorder();
    coalesceWrites(stream);
    stream.cork();
    stream.write('a');
    stream.write('b');
    process.nextTick(() => stream.uncork());
    stream.end('c');
    // end() uncorks at once (Node's Writable): everything is out before any immediate ran.
    expect(writes.flat()).toEqual(['a', 'b', 'c']);
    await turn();
    expect(writes.flat()).toEqual(['a', 'b', 'c']);
  });
});
