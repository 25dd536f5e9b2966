/**
 * Two connected in-memory duplex streams: what one side writes, the other reads; ending one side
 * ends the other's readable. Node 22 has stream.duplexPair(); Node 20, which this project supports,
 * does not.
 */
import { Duplex } from 'node:stream';

class PairedEnd extends Duplex {
  peer: PairedEnd | null = null;

  override _read(): void {
    // data is pushed by the peer's writes
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer !== null && !this.peer.destroyed) this.peer.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.peer !== null && !this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = null;
    if (peer !== null && !peer.destroyed) peer.push(null);
    callback(error);
  }
}

export function duplexPair(): [Duplex, Duplex] {
  const a = new PairedEnd();
  const b = new PairedEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
