/**
 * A local TCP endpoint in front of the board's console, so EspruinoTools always connects with
 * `-p tcp://127.0.0.1:PORT`:
 *
 * - a serial device (/dev/ttyUSB0, a pty) is opened here with serialport at the given baud rate.
 *   The CLI itself only opens ports that SerialPort.list() reports, which needs udevadm and never
 *   lists ptys (docs/espruino.md "Uploading");
 * - a tcp://HOST:PORT console (the emulator, a telnet-serial adapter) is connected to directly;
 * - every byte either way passes through the observer, which is how the upload's progress and
 *   the board's error messages are seen.
 *
 * The board side is opened once, before the CLI runs, and stays open for the upload and the check
 * that follows (opening a USB serial port toggles DTR/RTS, which resets many ESP32 boards).
 */
import net from 'node:net';
import { SerialPort } from 'serialport';

export interface BridgeObserver {
  /** Bytes from the CLI to the board. */
  toBoard(text: string): void;
  /** Bytes from the board to the CLI. */
  fromBoard(text: string): void;
  /** The board side failed after it was opened. */
  boardError(message: string): void;
}

export interface Bridge {
  /** tcp://127.0.0.1:PORT for the CLI's -p. */
  readonly address: string;
  close(): Promise<void>;
}

export type PortSpec = { kind: 'tcp'; host: string; port: number } | { kind: 'serial'; path: string; baudRate: number };

export class PortSpecError extends Error {}

export function parsePortSpec(port: string, baudRate: number): PortSpec {
  if (port.startsWith('tcp://')) {
    const m = /^tcp:\/\/([^:/]+):(\d{1,5})$/.exec(port);
    if (m === null || Number(m[2]) > 65535) throw new PortSpecError(`--port tcp://HOST:PORT expected, got '${port}'`);
    return { kind: 'tcp', host: m[1], port: Number(m[2]) };
  }
  if (port === '') throw new PortSpecError('--port is empty');
  if (!Number.isInteger(baudRate) || baudRate <= 0) throw new PortSpecError(`--baud must be a positive integer, got ${baudRate}`);
  return { kind: 'serial', path: port, baudRate };
}

/** The board side, open for the bridge's whole life (opening a USB serial port can reset an ESP32). */
interface BoardLink {
  write(data: Buffer): void;
  close(): Promise<void>;
}

/** The board's port could not be opened. */
export class PortUnavailableError extends Error {}

function openTcp(spec: { host: string; port: number }, onData: (d: Buffer) => void, onError: (m: string) => void): Promise<BoardLink> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(spec.port, spec.host);
    socket.setNoDelay(true);
    socket.once('error', (err) => reject(new PortUnavailableError(`tcp://${spec.host}:${spec.port}: ${err.message}`)));
    socket.once('connect', () => {
      socket.on('error', (err) => onError(`tcp://${spec.host}:${spec.port}: ${err.message}`));
      socket.on('data', onData);
      resolve({
        write: (d) => socket.write(d),
        close: () =>
          new Promise<void>((done) => {
            socket.once('close', () => done());
            socket.destroy();
          }),
      });
    });
  });
}

function openSerial(spec: { path: string; baudRate: number }, onData: (d: Buffer) => void, onError: (m: string) => void): Promise<BoardLink> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: spec.path, baudRate: spec.baudRate, autoOpen: false });
    port.open((err) => {
      if (err) {
        reject(new PortUnavailableError(`${spec.path}: ${err.message}`));
        return;
      }
      port.on('error', (e: Error) => onError(`${spec.path}: ${e.message}`));
      port.on('data', onData);
      resolve({
        write: (d) => {
          port.write(d);
        },
        close: () => new Promise<void>((done) => (port.isOpen ? port.close(() => done()) : done())),
      });
    });
  });
}

/** Opens the board's port, then listens on 127.0.0.1 for the CLI. Rejects with PortUnavailableError. */
export async function openBridge(spec: PortSpec, observer: BridgeObserver): Promise<Bridge> {
  const clients = new Set<net.Socket>();
  const fromBoard = (data: Buffer): void => {
    observer.fromBoard(data.toString('latin1'));
    for (const c of clients) c.write(data);
  };
  const board = spec.kind === 'tcp'
    ? await openTcp(spec, fromBoard, observer.boardError)
    : await openSerial(spec, fromBoard, observer.boardError);
  const server = net.createServer((cli) => {
    cli.setNoDelay(true);
    clients.add(cli);
    cli.on('data', (data: Buffer) => {
      observer.toBoard(data.toString('latin1'));
      board.write(data);
    });
    cli.on('close', () => clients.delete(cli));
    cli.on('error', () => clients.delete(cli));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `tcp://127.0.0.1:${port}`,
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await board.close();
    },
  };
}
