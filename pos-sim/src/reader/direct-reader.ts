/**
 * Direct transport: pos-sim is the reader of the vpcd RF link (docs/vpcd-pcscd.md "vpcd protocol") and the card connects
 * to it, as `tapcard se serve --vpcd HOST:PORT` or the emulated board does. A thin layer over
 * VpcdReader, which already turns a lost connection into CardRemovedError.
 */
import { VpcdReader, type Transmit } from '../../../host/vpcd/vpcd-reader';
import type { Reader } from './reader';

export class DirectReader implements Reader {
  private readonly vpcd: VpcdReader;
  private readonly host: string;
  private readonly port: number;

  private constructor(vpcd: VpcdReader, host: string, port: number) {
    this.vpcd = vpcd;
    this.host = host;
    this.port = port;
  }

  /** Starts listening for a card on host:port (port 0 picks a free one, see `boundPort`). */
  static async listen(port: number, host = '127.0.0.1'): Promise<DirectReader> {
    const vpcd = new VpcdReader();
    const bound = await vpcd.listen(port, host);
    return new DirectReader(vpcd, host, bound);
  }

  get name(): string {
    return `vpcd ${this.host}:${this.port}`;
  }

  get boundPort(): number {
    return this.port;
  }

  async waitForCard(timeoutMs: number): Promise<Uint8Array> {
    await this.vpcd.waitForCard(timeoutMs);
    return this.vpcd.powerOn();
  }

  readonly transmit: Transmit = (apdu) => this.vpcd.transmit(apdu);

  async powerOff(): Promise<void> {
    if (this.vpcd.cardPresent) await this.vpcd.powerOff();
  }

  close(): Promise<void> {
    return this.vpcd.close();
  }
}
