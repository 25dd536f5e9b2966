/**
 * Reader side of the vpcd RF link (what pcscd's vsmartcard-vpcd does, docs/vpcd-pcscd.md "vpcd protocol") as a TCP server:
 * a card connecting is a card entering the field. One card at a time, like one reader slot.
 *
 * This is the transport of `tapcard gp --vpcd-listen PORT` and of pos-sim's direct mode: pass
 * `reader.transmit` wherever a `Transmit` is injected.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { CardRemovedError, NoCardError, VpcdProtocolError, type CardRemovedReason } from './errors';
import {
  encodeFrame, FrameDecoder, MAX_FRAME_PAYLOAD,
  VPCD_CTRL_ATR, VPCD_CTRL_OFF, VPCD_CTRL_ON, VPCD_CTRL_RESET,
} from './wire';

/** The transport every host-side protocol layer takes: C-APDU in, R-APDU (with SW) out. */
export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

/** A card that has not answered by then is treated as mute and dropped (the stream can no longer be trusted). */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 10_000;
/** ISO 7816-4 §5.1: CLA INS P1 P2 at least. */
const MIN_COMMAND_LEN = 4;

export interface VpcdReaderOptions {
  responseTimeoutMs?: number;
}

export type VpcdReaderEvents = {
  /** A card connected (entered the field). */
  card: [];
  removed: [reason: CardRemovedReason];
  /** Something went wrong but the reader carries on (second card refused, unsolicited frame). */
  warning: [error: Error];
};

type Pending = { resolve: (reply: Uint8Array) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/** The one card in the field: its socket, its stream decoder and the replies it still owes, oldest first. */
type CardLink = { socket: net.Socket; decoder: FrameDecoder; pending: Pending[] };

export class VpcdReader extends EventEmitter<VpcdReaderEvents> {
  private readonly responseTimeoutMs: number;
  private server: net.Server | null = null;
  private card: CardLink | null = null;

  constructor(options: VpcdReaderOptions = {}) {
    super();
    this.responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  }

  /** Starts listening; port 0 picks a free port. Resolves to the bound port. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    if (this.server !== null) return Promise.reject(new Error('VpcdReader is already listening'));
    const server = net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        this.server = null;
        reject(err);
      });
      server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  get port(): number {
    const address = this.server?.address();
    if (address == null || typeof address === 'string') throw new Error('VpcdReader is not listening');
    return address.port;
  }

  get cardPresent(): boolean {
    return this.card !== null;
  }

  /** Resolves when a card is in the field; rejects with NoCardError after timeoutMs. */
  waitForCard(timeoutMs: number): Promise<void> {
    if (this.card !== null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onCard = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('card', onCard);
        reject(new NoCardError(timeoutMs));
      }, timeoutMs);
      this.once('card', onCard);
    });
  }

  /** Field on (cold reset), then the ATR, as vpcd's IFDHPowerICC does. */
  async powerOn(): Promise<Uint8Array> {
    await this.send(Uint8Array.of(VPCD_CTRL_ON), false);
    return this.getAtr();
  }

  /** Warm reset, then the ATR. */
  async reset(): Promise<Uint8Array> {
    await this.send(Uint8Array.of(VPCD_CTRL_RESET), false);
    return this.getAtr();
  }

  getAtr(): Promise<Uint8Array> {
    return this.send(Uint8Array.of(VPCD_CTRL_ATR), true);
  }

  async powerOff(): Promise<void> {
    await this.send(Uint8Array.of(VPCD_CTRL_OFF), false);
  }

  /** Sends a C-APDU and resolves to the R-APDU; rejects with CardRemovedError when the card goes. */
  readonly transmit: Transmit = (apdu) => {
    if (apdu.length < MIN_COMMAND_LEN) {
      return Promise.reject(new VpcdProtocolError(`C-APDU too short: at least ${MIN_COMMAND_LEN} bytes (ISO 7816-4 §5.1), got ${apdu.length}`));
    }
    if (apdu.length > MAX_FRAME_PAYLOAD) {
      return Promise.reject(new VpcdProtocolError(`C-APDU too long for a vpcd frame: at most ${MAX_FRAME_PAYLOAD} bytes, got ${apdu.length}`));
    }
    return this.send(apdu, true);
  };

  /** Drops the card (if any) and stops listening. */
  async close(): Promise<void> {
    this.dropCard('reader-closed');
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    if (this.card !== null) {
      this.emit('warning', new Error(`second card from ${socket.remoteAddress}:${socket.remotePort} refused: the field already holds one`));
      socket.destroy();
      return;
    }
    const link: CardLink = { socket, decoder: new FrameDecoder(), pending: [] };
    this.card = link;
    socket.on('data', (chunk: Buffer) => {
      for (const frame of link.decoder.push(chunk)) {
        if (this.card !== link) return;
        // The decoder's limit is the frame maximum, so every frame arrives whole.
        if (frame.kind === 'frame') this.onReply(link, frame.payload);
      }
    });
    socket.on('error', () => { /* 'close' follows and drops the card */ });
    socket.on('close', () => {
      if (this.card === link) this.dropCard('closed');
    });
    this.emit('card');
  }

  private onReply(link: CardLink, reply: Uint8Array): void {
    if (reply.length === 0) {
      this.dropCard('zero-length');
      return;
    }
    const pending = link.pending.shift();
    if (pending === undefined) {
      this.emit('warning', new VpcdProtocolError(`card sent ${reply.length} bytes nobody asked for; ignored`));
      return;
    }
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }

  /**
   * Writes one frame. vpcd is strictly request/response and the card answers in order, so replies
   * are matched to requests first-in first-out.
   */
  private send(payload: Uint8Array, expectReply: true): Promise<Uint8Array>;
  private send(payload: Uint8Array, expectReply: false): Promise<void>;
  private send(payload: Uint8Array, expectReply: boolean): Promise<Uint8Array | void> {
    const link = this.card;
    if (link === null) return Promise.reject(new CardRemovedError('absent'));
    return new Promise((resolve, reject) => {
      if (expectReply) {
        const timer = setTimeout(() => this.dropCard('mute', `no answer within ${this.responseTimeoutMs} ms`), this.responseTimeoutMs);
        link.pending.push({ resolve, reject, timer });
        link.socket.write(encodeFrame(payload));
      } else {
        link.socket.write(encodeFrame(payload), (err) => (err ? reject(new CardRemovedError('closed', err.message)) : resolve()));
      }
    });
  }

  private dropCard(reason: CardRemovedReason, detail?: string): void {
    const link = this.card;
    if (link === null) return;
    this.card = null;
    for (const pending of link.pending) {
      clearTimeout(pending.timer);
      pending.reject(new CardRemovedError(reason, detail));
    }
    link.pending.length = 0;
    link.socket.destroy();
    this.emit('removed', reason);
  }
}
