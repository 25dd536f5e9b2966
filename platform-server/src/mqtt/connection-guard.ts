/**
 * What the embedded broker lets a connection cost before and after it has proved who it is.
 * aedes buffers a packet until its announced length has arrived, so a CONNECT announcing 256 MB
 * would hold that much per socket; the guard reads each packet's fixed header as the bytes pass
 * (MQTT 3.1.1 §2.2: type byte, then the remaining length in 1-4 bytes of 7 bits) and closes the
 * connection as soon as a packet announces more than it may have:
 *
 * - before the CONNECT is accepted: one packet, a CONNECT, of at most `maxConnectPacket` octets;
 * - after: packets of at most `maxPacket` octets (a link frame, its topic and the MQTT overhead);
 * - at most `maxPendingPerAddress` connections from one address that have not been accepted yet,
 *   so one host cannot hold many half-open CONNECTs at once. Accepted connections do not count:
 *   a gateway may carry many devices.
 *
 * The time allowed before CONNECT is aedes' connectTimeout (broker.ts).
 */
import type { Socket } from 'node:net';

export interface GuardLimits {
  maxConnectPacket: number;
  maxPacket: number;
  maxPendingPerAddress: number;
}

export type GuardLog = (event: string, detail: Record<string, unknown>) => void;

const CONNECT = 1;
/** A remaining length takes at most 4 bytes (§2.2.3). */
const MAX_LENGTH_BYTES = 4;

interface Watched {
  address: string;
  accepted: boolean;
  /** Bytes of the current packet's body still to pass. */
  skip: number;
  /** Fixed-header parsing: -1 = expecting the type byte, else bytes of remaining length read so far. */
  lengthBytes: number;
  type: number;
  length: number;
  multiplier: number;
  packets: number;
}

export class ConnectionGuard {
  private readonly pending = new Map<string, number>();
  private readonly watched = new WeakMap<object, Watched>();

  constructor(
    private readonly limits: GuardLimits,
    private readonly log: GuardLog,
  ) {}

  /** Starts watching a new connection; false (and the socket destroyed) when its address has too many pending. */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress ?? 'unknown';
    const count = this.pending.get(address) ?? 0;
    if (count >= this.limits.maxPendingPerAddress) {
      this.log('connection.refused', { address, reason: `${count} connections from this address still without CONNECT` });
      socket.destroy();
      return false;
    }
    this.pending.set(address, count + 1);
    const w: Watched = { address, accepted: false, skip: 0, lengthBytes: -1, type: 0, length: 0, multiplier: 1, packets: 0 };
    this.watched.set(socket, w);
    socket.on('data', (chunk: Buffer) => {
      const problem = this.scan(w, chunk);
      if (problem !== null) {
        this.log('connection.closed', { address, reason: problem });
        socket.destroy();
      }
    });
    socket.once('close', () => this.release(w));
    return true;
  }

  /** The broker accepted this connection's CONNECT. */
  accepted(conn: object): void {
    const w = this.watched.get(conn);
    if (w === undefined || w.accepted) return;
    this.release(w);
    w.accepted = true;
  }

  private release(w: Watched): void {
    if (w.accepted) return;
    w.accepted = true; // counted out once, whichever comes first
    const left = (this.pending.get(w.address) ?? 1) - 1;
    if (left > 0) this.pending.set(w.address, left);
    else this.pending.delete(w.address);
  }

  /** Walks the fixed headers in `chunk`; a reason to close, or null. */
  private scan(w: Watched, chunk: Buffer): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (w.skip > 0) {
        const n = Math.min(w.skip, chunk.length - i);
        w.skip -= n;
        i += n;
        continue;
      }
      const b = chunk[i++];
      if (w.lengthBytes < 0) {
        w.type = b >> 4;
        w.lengthBytes = 0;
        w.length = 0;
        w.multiplier = 1;
        if (!w.accepted && (w.packets > 0 || w.type !== CONNECT)) return 'a packet other than one CONNECT before the CONNECT was accepted';
        continue;
      }
      w.length += (b & 0x7f) * w.multiplier;
      w.multiplier *= 128;
      w.lengthBytes++;
      if ((b & 0x80) !== 0) {
        if (w.lengthBytes >= MAX_LENGTH_BYTES) return 'malformed remaining length';
        continue;
      }
      const total = 1 + w.lengthBytes + w.length;
      const limit = w.accepted ? this.limits.maxPacket : this.limits.maxConnectPacket;
      if (total > limit) return `packet of ${total} octets announced, limit ${limit}`;
      w.packets++;
      w.skip = w.length;
      w.lengthBytes = -1;
    }
    return null;
  }
}
