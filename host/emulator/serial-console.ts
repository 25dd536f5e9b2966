/**
 * The emulated board's UART console on the host (docs/espruino.md "Uploading"):
 *
 * - tcp://HOST:PORT: a TCP listener; EspruinoTools connects with `-p tcp://HOST:PORT` (its socket
 *   transport), so `tapcard flash --port tcp://...` and `espruino -p tcp://...` both work;
 * - pty: socat makes a pseudo-terminal (`pty,raw,echo=0,link=PATH`) bridged to such a listener on
 *   127.0.0.1, for tools that want a device path. socat ends when the pty's user closes it; it is
 *   started again so the path stays usable.
 *
 * Bytes from any connection go to the board's console; console output goes to every connection,
 * as a UART line shared by whoever holds it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import type { EmulatedBoard } from './emulated-board';

export interface SerialEndpoint {
  /** tcp://host:port, or the pty path. */
  readonly address: string;
  close(): Promise<void>;
}

export class SerialSpecError extends Error {}

/** Parses "tcp://HOST:PORT" (PORT 0 = any free port) or "pty". */
export function parseSerialSpec(spec: string): { kind: 'tcp'; host: string; port: number } | { kind: 'pty' } {
  if (spec === 'pty') return { kind: 'pty' };
  const m = /^tcp:\/\/([^:/]+):(\d+)$/.exec(spec);
  if (m === null) throw new SerialSpecError(`--serial must be tcp://HOST:PORT or pty, got '${spec}'`);
  const port = Number(m[2]);
  if (port > 65535) throw new SerialSpecError(`--serial port out of range: ${port}`);
  return { kind: 'tcp', host: m[1], port };
}

export async function startTcpConsole(board: EmulatedBoard, host: string, port: number): Promise<SerialEndpoint> {
  const sockets = new Set<net.Socket>();
  const forward = (text: string): void => {
    const bytes = Buffer.from(text, 'latin1');
    for (const s of sockets) s.write(bytes);
  };
  board.on('output', forward);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('data', (data) => board.console.input(data));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as net.AddressInfo;
  return {
    address: `tcp://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        board.off('output', forward);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A pty at `linkPath` (a symlink socat maintains) bridged to a private TCP console. */
export async function startPtyConsole(board: EmulatedBoard, linkPath: string): Promise<SerialEndpoint> {
  const tcp = await startTcpConsole(board, '127.0.0.1', 0);
  const port = Number(tcp.address.split(':').pop());
  let socat: ChildProcess | null = null;
  let running = true;
  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      fs.rmSync(linkPath, { force: true });
      const child = spawn('socat', [`pty,raw,echo=0,link=${linkPath}`, `tcp:127.0.0.1:${port}`], { stdio: 'ignore' });
      socat = child;
      child.once('error', (err) => reject(new Error(`socat could not start (is it installed?): ${err.message}`)));
      child.once('exit', () => {
        if (running) setTimeout(() => void launch().catch(() => undefined), 100);
      });
      const deadline = Date.now() + 5000;
      const wait = (): void => {
        if (fs.existsSync(linkPath)) resolve();
        else if (Date.now() > deadline) reject(new Error(`socat did not create ${linkPath}`));
        else setTimeout(wait, 20);
      };
      wait();
    });
  await launch();
  return {
    address: linkPath,
    close: async () => {
      running = false;
      const child = socat as ChildProcess | null;
      if (child !== null && child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      fs.rmSync(linkPath, { force: true });
      await tcp.close();
    },
  };
}
