/**
 * A raw vpcd endpoint for tests that need to misbehave on purpose (mute card, empty reply, frames
 * trickled byte by byte): a socket plus a frame decoder with an awaitable queue.
 */
import net from 'node:net';
import { once } from 'node:events';
import { encodeFrame, FrameDecoder } from '../../host/vpcd/wire';

export class FrameSocket {
  private readonly decoder = new FrameDecoder();
  private readonly frames: Uint8Array[] = [];
  private waiter: ((frame: Uint8Array) => void) | null = null;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.kind !== 'frame') throw new Error('FrameSocket got an oversize frame');
        if (this.waiter !== null) {
          const w = this.waiter;
          this.waiter = null;
          w(frame.payload);
        } else {
          this.frames.push(frame.payload);
        }
      }
    });
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<FrameSocket> {
    const socket = net.connect({ port, host });
    await once(socket, 'connect');
    return new FrameSocket(socket);
  }

  /** The next whole frame's payload. */
  next(): Promise<Uint8Array> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  send(payload: Uint8Array): void {
    this.socket.write(encodeFrame(payload));
  }

  /** Writes a frame one byte per event-loop turn, so the peer sees it in many TCP reads. */
  async trickle(payload: Uint8Array): Promise<void> {
    for (const b of encodeFrame(payload)) {
      await new Promise<void>((resolve) => this.socket.write(Uint8Array.of(b), () => resolve()));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** A TCP server whose first connection becomes a FrameSocket (a fake reader for the card client). */
export async function listenForOne(): Promise<{ port: number; accepted: Promise<FrameSocket>; close: () => Promise<void> }> {
  const server = net.createServer();
  const sockets: net.Socket[] = [];
  const accepted = new Promise<FrameSocket>((resolve) => server.once('connection', (s) => resolve(new FrameSocket(s))));
  server.on('connection', (s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
