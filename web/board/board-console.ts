/**
 * The board's Espruino console over Web Serial, through @espruino-tools/core (its DeviceController
 * holds the UART layer that asks for the connection method and the port, and writes and reads).
 * Only the UART is used: DeviceController.connect() would flash LED2 (an ESP32 has none) and pull
 * the whole program off the board with E.dumpStr(), and loadCode() starts with reset(true).
 *
 * The UART reads what arrived within 100 ms of a write. A command's output is whatever the
 * console prints until a marker line the board prints after it; the marker is sent as an
 * expression ("--end "+N+"--"), so an echo of the command line never looks like the marker.
 * The console's echo is turned off first (the UART leaves it on), so the text is the output only.
 */
import { DeviceController } from '@espruino-tools/core';

const board = new DeviceController();
/** An empty write every 100 ms collects more output; this many before giving up (10 s). */
const MAX_POLLS = 100;
/** How often connect() looks whether the port chooser was cancelled. */
const CHOOSER_POLL_MS = 250;
let commands = 0;

function collect(line: string, resolve: (text: string) => void, reject: (err: Error) => void): void {
  const n = ++commands;
  const marker = `--end ${n}--`;
  let text = '';
  let polls = 0;
  const received = (data: string | null): void => {
    if (data === null) return reject(new Error('no board connected'));
    text += data;
    const end = text.indexOf(marker);
    if (end >= 0) return resolve(text.slice(0, end));
    if (++polls > MAX_POLLS) return reject(new Error(`the board did not answer ${line.trim()}`));
    board.UART.write('', received);
  };
  // the marker on a line of its own: it prints even when the command throws
  board.UART.write(`${line}\nprint("--end "+${n}+"--")\n`, received);
}

/** Runs one console line and resolves with what the board printed, CR LF turned into LF. */
export function run(line: string): Promise<string> {
  return new Promise((resolve, reject) => collect(line, (t) => resolve(t.replace(/\r\n/g, '\n').replace(/^\n+/, '')), reject));
}

/**
 * Opens the connection (the UART shows its menu, then the browser's port chooser) and turns the
 * echo off. The UART never calls back when the port chooser is cancelled, it only leaves its
 * connection neither open nor opening: connect() watches for that.
 */
export function connect(): Promise<void> {
  let watch: ReturnType<typeof setInterval> | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    watch = setInterval(() => {
      const c = board.UART.getConnection() as { isOpen: boolean; isOpening: boolean } | undefined;
      if (c !== undefined && !c.isOpen && !c.isOpening) reject(new Error('no serial port was chosen'));
    }, CHOOSER_POLL_MS);
  });
  // Ctrl-C first drops a line someone left half typed
  return Promise.race([run('\x03echo(0)'), cancelled])
    .then(() => undefined)
    .finally(() => clearInterval(watch));
}

export function connected(): boolean {
  return board.UART.isConnected();
}

export function disconnect(): void {
  board.UART.close();
}
