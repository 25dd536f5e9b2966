/**
 * Card side of the vpcd RF link (docs/vpcd-pcscd.md "vpcd protocol"): connects to a reader (pcscd's vsmartcard-vpcd, or
 * VpcdReader in pos-sim's direct mode), answers control bytes and APDUs from a CardDevice, and keeps
 * reconnecting while it runs, so it may start before or after the reader.
 *
 * Connecting is "card enters the field", closing (stop()) is "card leaves the field".
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { CardDevice } from './card-device';
import {
  encodeFrame, FrameDecoder, MAX_FRAME_PAYLOAD,
  VPCD_CTRL_ATR, VPCD_CTRL_OFF, VPCD_CTRL_ON, VPCD_CTRL_RESET,
} from './wire';

/** vicc's retry period; pcscd accepts a waiting card only at its ~400 ms poll anyway (docs/vpcd-pcscd.md "vpcd protocol"). */
export const DEFAULT_RECONNECT_MS = 500;

/** ISO 7816-4 §5.6: wrong length (answer to a command over our limit). */
const SW_WRONG_LENGTH = Uint8Array.of(0x67, 0x00);
/** ISO 7816-4 §5.6: no precise diagnosis (the card device threw or answered without a status word). */
const SW_NO_PRECISE_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);
const SW_LEN = 2;

export interface VpcdCardClientOptions {
  host: string;
  port: number;
  card: CardDevice;
  reconnectMs?: number;
  /** Largest C-APDU accepted; longer ones are answered 6700 without reaching the card. */
  maxCommandLength?: number;
}

export type ControlName = 'power-off' | 'power-on' | 'reset' | 'get-atr';

export type VpcdCardClientEvents = {
  connect: [endpoint: { host: string; port: number }];
  disconnect: [reason: string];
  control: [name: ControlName];
  apdu: [command: Uint8Array, response: Uint8Array];
  /** Something went wrong but the link carries on (bad frame, card device threw). */
  warning: [error: Error];
};

export class VpcdCardClient extends EventEmitter<VpcdCardClientEvents> {
  private readonly host: string;
  private readonly port: number;
  private readonly card: CardDevice;
  private readonly reconnectMs: number;
  private readonly maxCommandLength: number;
  private running = false;
  private socket: net.Socket | null = null;
  private isConnected = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(options: VpcdCardClientOptions) {
    super();
    this.host = options.host;
    this.port = options.port;
    this.card = options.card;
    this.reconnectMs = options.reconnectMs ?? DEFAULT_RECONNECT_MS;
    this.maxCommandLength = options.maxCommandLength ?? MAX_FRAME_PAYLOAD;
  }

  /** True while a TCP connection to the reader is up (the card is in the field). */
  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /** Takes the card out of the field and stops reconnecting. */
  stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const socket = this.socket;
    if (socket === null) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private connect(): void {
    const socket = net.connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.socket = socket;
    const decoder = new FrameDecoder(this.maxCommandLength);
    let lastError = '';

    socket.on('connect', () => {
      this.isConnected = true;
      this.emit('connect', { host: this.host, port: this.port });
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (socket.destroyed) return;
        if (frame.kind === 'oversize') {
          this.emit('warning', new Error(`C-APDU of ${frame.length} bytes is over the ${this.maxCommandLength}-byte limit; answered 6700`));
          socket.write(encodeFrame(SW_WRONG_LENGTH));
        } else {
          this.onFrame(socket, frame.payload);
        }
      }
    });
    socket.on('error', (err) => {
      lastError = err.message;
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      if (this.isConnected) {
        this.isConnected = false;
        this.emit('disconnect', this.running ? lastError || 'reader closed the connection' : 'stopped');
      }
      if (this.running) this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.running) this.connect();
      }, this.reconnectMs);
    });
  }

  private onFrame(socket: net.Socket, payload: Uint8Array): void {
    if (payload.length === 0) {
      this.emit('warning', new Error('reader sent an empty vpcd frame; ignored'));
    } else if (payload.length === 1) {
      this.onControl(socket, payload[0]);
    } else {
      const response = this.runApdu(payload);
      socket.write(encodeFrame(response));
      this.emit('apdu', payload, response);
    }
  }

  /** vpcd control bytes (docs/vpcd-pcscd.md "vpcd protocol"): only get-ATR is answered. */
  private onControl(socket: net.Socket, control: number): void {
    try {
      switch (control) {
        case VPCD_CTRL_OFF:
          this.card.powerOff();
          this.emit('control', 'power-off');
          return;
        case VPCD_CTRL_ON:
          this.card.powerOn();
          this.emit('control', 'power-on');
          return;
        case VPCD_CTRL_RESET:
          this.card.reset();
          this.emit('control', 'reset');
          return;
        case VPCD_CTRL_ATR:
          socket.write(encodeFrame(this.card.atr()));
          this.emit('control', 'get-atr');
          return;
        default:
          // vicc ignores unknown control bytes the same way: the reader expects no answer.
          this.emit('warning', new Error(`unknown vpcd control byte 0x${control.toString(16).padStart(2, '0')}; ignored`));
      }
    } catch (err) {
      // A card that cannot power up or give its ATR is unusable: leave the field (reconnect retries it).
      this.emit('warning', new Error(`card device failed on control 0x${control.toString(16)}: ${(err as Error).message}`));
      socket.destroy();
    }
  }

  private runApdu(command: Uint8Array): Uint8Array {
    let response: Uint8Array;
    try {
      response = this.card.transmit(command);
    } catch (err) {
      this.emit('warning', new Error(`card device threw on an APDU: ${(err as Error).message}; answered 6F00`));
      return SW_NO_PRECISE_DIAGNOSIS;
    }
    if (response.length < SW_LEN || response.length > MAX_FRAME_PAYLOAD) {
      this.emit('warning', new Error(`card device answered ${response.length} bytes (need ${SW_LEN}..${MAX_FRAME_PAYLOAD}); answered 6F00`));
      return SW_NO_PRECISE_DIAGNOSIS;
    }
    return response;
  }
}
