/**
 * A `Transmit` over PC/SC (pcscd) with @pokusew/pcsclite (docs/vpcd-pcscd.md "Node clients"). The package is an optional
 * dependency with a native build, so it is loaded with a dynamic import and its absence is a clear
 * PcscUnavailableError, not a crash at startup. The card is opened in SHARED mode so that other
 * PC/SC programs can reach it at the same time (the library defaults to EXCLUSIVE).
 *
 * T=0 cards answer 61xx (more data: GET RESPONSE) and 6Cxx (wrong Le: resend with Le = xx); the
 * transport resolves both (ISO 7816-4 §5.1.3, §5.3.4) so callers see one R-APDU per command.
 */
import { unixSocketAlive } from '../pcsc/probes';
import type { Transmit } from '../vpcd/vpcd-reader';
import { NoCardError } from '../vpcd/errors';

/** Receive buffer for SCardTransmit: the largest extended R-APDU. */
const MAX_RESPONSE_LEN = 65538;
/** Bound on GET RESPONSE rounds for one command (256 x 256 bytes is already more than Ne allows). */
const MAX_GET_RESPONSE = 256;
export const DEFAULT_PCSC_TIMEOUT_MS = 10_000;
/** pcsc-lite's client socket; PCSCLITE_CSOCK_NAME moves it, as libpcsclite itself honours. */
const DEFAULT_PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

/** PC/SC cannot be used here: the native module is missing, or pcscd is not running. */
export class PcscUnavailableError extends Error {
  readonly code = 'PCSC_UNAVAILABLE';

  constructor(message: string) {
    super(message);
    this.name = 'PcscUnavailableError';
  }
}

export interface PcscConnection {
  readerName: string;
  atr: Uint8Array;
  transmit: Transmit;
  close(): Promise<void>;
}

export interface PcscOptions {
  /** Use the first reader whose name contains this text; any reader when absent. */
  reader?: string;
  /** How long to wait for a reader with a card. */
  timeoutMs?: number;
}

// The slice of @pokusew/pcsclite's API used here (its index.d.ts, 0.6.0).
interface PcscReader {
  name: string;
  state: number;
  SCARD_SHARE_SHARED: number;
  SCARD_STATE_PRESENT: number;
  SCARD_LEAVE_CARD: number;
  on(event: 'status', listener: (status: { state: number; atr?: Buffer }) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'end', listener: () => void): void;
  connect(options: { share_mode: number }, cb: (err: Error | null | undefined, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: Error | null | undefined, response: Buffer) => void): void;
  close(): void;
}
interface PcscContext {
  on(event: 'reader', listener: (reader: PcscReader) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}

async function loadPcsclite(): Promise<() => PcscContext> {
  const name = '@pokusew/pcsclite';
  try {
    const mod = (await import(name)) as { default?: unknown };
    return (mod.default ?? mod) as () => PcscContext;
  } catch (e) {
    throw new PcscUnavailableError(
      `PC/SC support needs the optional package ${name}, which is not installed or did not build ` +
        `(${(e as Error).message}). Install libpcsclite-dev, g++, make and python3, then npm install; ` +
        `or use --vpcd-listen PORT instead.`,
    );
  }
}

/** Waits for a reader (matching options.reader) with a card, connects in SHARED mode. */
export async function connectPcsc(options: PcscOptions = {}): Promise<PcscConnection> {
  const pcsclite = await loadPcsclite();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PCSC_TIMEOUT_MS;
  // The library's constructor retries SCardEstablishContext on the main thread for as long as
  // pcscd is absent (it never returns), so make sure pcscd answers first.
  const socket = process.env.PCSCLITE_CSOCK_NAME ?? DEFAULT_PCSCD_SOCKET;
  if (!(await unixSocketAlive(socket))) {
    throw new PcscUnavailableError(`pcscd is not running (nothing answers on ${socket}); start it, or use --vpcd-listen PORT instead`);
  }
  let pcsc: PcscContext;
  try {
    pcsc = pcsclite();
  } catch (e) {
    throw new PcscUnavailableError(`PC/SC: ${(e as Error).message} (is pcscd running?)`);
  }
  // Every reader monitors its slot until closed; all are closed with the context.
  const readers: PcscReader[] = [];
  const shutdown = (): void => {
    for (const r of readers) r.close();
    pcsc.close();
  };
  return new Promise<PcscConnection>((resolve, reject) => {
    let settled = false;
    // Errors after settling (pcscd going away while we hold the card) reach the caller through
    // transmit; the listeners stay so that the emitters never throw them unhandled.
    const finish = (err: Error | null, conn?: PcscConnection): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== null) {
        shutdown();
        reject(err);
      } else {
        resolve(conn!);
      }
    };
    const timer = setTimeout(() => {
      const e = new NoCardError(timeoutMs);
      e.message = `no PC/SC reader${options.reader !== undefined ? ` matching '${options.reader}'` : ''} with a card within ${timeoutMs} ms`;
      finish(e);
    }, timeoutMs);
    pcsc.on('error', (err) => finish(new PcscUnavailableError(`PC/SC: ${err.message} (is pcscd running?)`)));
    pcsc.on('reader', (reader) => {
      readers.push(reader);
      reader.on('error', (err) => finish(new PcscUnavailableError(`PC/SC reader ${reader.name}: ${err.message}`)));
      if (options.reader !== undefined && !reader.name.includes(options.reader)) return;
      let connecting = false;
      reader.on('status', (status) => {
        if (settled || connecting || (status.state & reader.SCARD_STATE_PRESENT) === 0) return;
        connecting = true;
        reader.connect({ share_mode: reader.SCARD_SHARE_SHARED }, (err, protocol) => {
          if (err) {
            connecting = false;
            return;
          }
          const atr = new Uint8Array(status.atr ?? Buffer.alloc(0));
          finish(null, makeConnection(shutdown, reader, protocol, atr));
        });
      });
    });
  });
}

function makeConnection(shutdown: () => void, reader: PcscReader, protocol: number, atr: Uint8Array): PcscConnection {
  const raw = (apdu: Uint8Array): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      reader.transmit(Buffer.from(apdu), MAX_RESPONSE_LEN, protocol, (err, data) => {
        if (err) reject(new Error(`PC/SC transmit on ${reader.name}: ${err.message}`));
        else resolve(new Uint8Array(data));
      });
    });
  const transmit: Transmit = async (apdu) => {
    let r = await raw(apdu);
    if (r.length === 2 && r[0] === 0x6c && apdu.length >= 5) {
      const again = Uint8Array.from(apdu);
      again[again.length - 1] = r[1];
      r = await raw(again);
    }
    const parts: Uint8Array[] = [];
    for (let i = 0; i < MAX_GET_RESPONSE && r.length >= 2 && r[r.length - 2] === 0x61; i++) {
      parts.push(r.subarray(0, r.length - 2));
      r = await raw(Uint8Array.of(apdu[0] & 0x03, 0xc0, 0x00, 0x00, r[r.length - 1]));
    }
    if (parts.length === 0) return r;
    parts.push(r);
    return Uint8Array.from(Buffer.concat(parts));
  };
  return {
    readerName: reader.name,
    atr,
    transmit,
    close: () =>
      new Promise<void>((resolve) => {
        reader.disconnect(reader.SCARD_LEAVE_CARD, () => {
          shutdown();
          resolve();
        });
      }),
  };
}
