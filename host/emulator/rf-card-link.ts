/**
 * The RF side of the virtual PN532 as a vpcd card (docs/vpcd-pcscd.md "vpcd protocol"; host/vpcd/wire.ts): the emulated
 * board, while its PN532 is armed as a target, is a contactless card that pcscd's vpcd or pos-sim
 * in direct mode can tap.
 *
 * It speaks the wire format itself instead of using host/vpcd/vpcd-card-client.ts because that
 * client's CardDevice answers synchronously, while here each APDU travels to the firmware over the
 * emulated I2C loop and comes back later.
 *
 *   reader control 01 (power on)  -> the reader activates the card (completes TgInitAsTarget)
 *   reader control 00 (power off) -> the reader releases it (TgGetData sees status 29)
 *   reader control 02 (reset)     -> release, then activate
 *   reader control 04 (get ATR)   -> 3B 8n 80 01 T1..Tn TCK from the TgInitAsTarget historical bytes (ISO/IEC 7816-3 §8; PC/SC Part 3 §3.1.3.2.3)
 *   C-APDU                        -> TgGetData for the firmware; its TgSetData is the answer
 *
 * The card enters the field (connects) when the PN532 is first armed and leaves it (disconnects)
 * when the chip restarts or the firmware does not answer within the RF timeout.
 */
import net from 'node:net';
import { ATR_MAX_LEN, buildContactlessAtr } from '../../firmware/src/core/se/atr';
import { encodeFrame, FrameDecoder, VPCD_CTRL_ATR, VPCD_CTRL_OFF, VPCD_CTRL_ON, VPCD_CTRL_RESET } from '../vpcd/wire';
import type { VirtualPn532 } from './virtual-pn532';

export const DEFAULT_RF_TIMEOUT_MS = 5000;
export const RECONNECT_MS = 500;

/** PC/SC contactless ATR for an ISO 14443-4 type A card from its ATS historical bytes (ISO/IEC 7816-3 §8; PC/SC Part 3 §3.1.3.2.3). */
export function contactlessAtr(historical: Uint8Array): Uint8Array {
  const atr = new Uint8Array(ATR_MAX_LEN);
  const n = buildContactlessAtr(historical, 0, Math.min(historical.length, 15), atr);
  return atr.slice(0, n);
}

export interface RfCardLinkOptions {
  host: string;
  port: number;
  rfTimeoutMs?: number;
  /** Something went wrong on the link; it carries on. */
  onWarning?: (message: string) => void;
}

export class RfCardLink {
  private readonly chip: VirtualPn532;
  private readonly options: RfCardLinkOptions;
  private socket: net.Socket | null = null;
  private running = false;
  private retry: NodeJS.Timeout | null = null;
  /** APDUs are answered strictly in order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly onArmed = (): void => this.connect();
  private readonly onChipReset = (): void => this.leaveField('PN532 restarted');

  constructor(chip: VirtualPn532, options: RfCardLinkOptions) {
    this.chip = chip;
    this.options = options;
  }

  get inField(): boolean {
    return this.socket !== null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.chip.on('armed', this.onArmed);
    this.chip.on('reset', this.onChipReset);
    if (this.chip.armed) this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.chip.off('armed', this.onArmed);
    this.chip.off('reset', this.onChipReset);
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    const s = this.socket;
    if (s !== null) await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }

  private connect(): void {
    if (!this.running || this.socket !== null) return;
    const socket = net.connect({ host: this.options.host, port: this.options.port });
    socket.setNoDelay(true);
    this.socket = socket;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind === 'frame') this.onFrame(socket, frame.payload);
      }
    });
    socket.on('error', (err) => this.warn(`vpcd ${this.options.host}:${this.options.port}: ${err.message}`));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      this.chip.release();
      if (this.running && this.chip.armed) {
        this.retry = setTimeout(() => {
          this.retry = null;
          this.connect();
        }, RECONNECT_MS);
      }
    });
  }

  private leaveField(why: string): void {
    const s = this.socket;
    if (s === null) return;
    this.warn(`card leaves the field: ${why}`);
    s.destroy();
  }

  private onFrame(socket: net.Socket, payload: Uint8Array): void {
    if (payload.length === 1) {
      this.onControl(socket, payload[0]);
      return;
    }
    if (payload.length === 0) return;
    const command = Uint8Array.from(payload);
    this.queue = this.queue.then(() => this.exchange(socket, command));
  }

  private onControl(socket: net.Socket, control: number): void {
    switch (control) {
      case VPCD_CTRL_OFF:
        this.chip.release();
        return;
      case VPCD_CTRL_ON:
        this.chip.activate();
        return;
      case VPCD_CTRL_RESET:
        this.chip.release();
        this.chip.activate();
        return;
      case VPCD_CTRL_ATR:
        socket.write(encodeFrame(contactlessAtr(this.chip.historical)));
        return;
      default:
        this.warn(`unknown vpcd control byte 0x${control.toString(16)}; ignored`);
    }
  }

  private async exchange(socket: net.Socket, command: Uint8Array): Promise<void> {
    const timeoutMs = this.options.rfTimeoutMs ?? DEFAULT_RF_TIMEOUT_MS;
    let timer: NodeJS.Timeout | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the firmware within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const response = await Promise.race([this.chip.transceive(command), timeout]);
      if (!socket.destroyed) socket.write(encodeFrame(response));
    } catch (err) {
      this.leaveField((err as Error).message);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }
}
