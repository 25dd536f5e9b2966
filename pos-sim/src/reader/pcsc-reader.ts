/**
 * PC/SC transport: through pcscd with @pokusew/pcsclite (host/gp/pcsc-transport.ts: optional
 * dependency loaded on demand, SHARED mode, T=0 GET RESPONSE handled). The same code reaches the
 * emulated board through vsmartcard-vpcd and a real board on an ACR122U-style reader.
 *
 * pcsc-lite reports a card that left the field as an error code on SCardTransmit; those codes
 * become CardRemovedError so the POS treats both transports alike.
 */
import { connectPcsc, type PcscConnection } from '../../../host/gp/pcsc-transport';
import { CardRemovedError, type CardRemovedReason } from '../../../host/vpcd/errors';
import type { Transmit } from '../../../host/vpcd/vpcd-reader';
import type { Reader } from './reader';

/** pcsc-lite's PCSC/pcsclite.h codes that mean the card is gone or its session is lost. */
const REMOVAL_CODES: Record<number, CardRemovedReason> = {
  0x80100069: 'closed', // SCARD_W_REMOVED_CARD
  0x8010000c: 'absent', // SCARD_E_NO_SMARTCARD
  0x80100068: 'closed', // SCARD_W_RESET_CARD: another program reset it, our session state is gone
  0x80100067: 'closed', // SCARD_W_UNPOWERED_CARD
  0x80100016: 'mute', // SCARD_E_NOT_TRANSACTED: vpcd's answer when the card's link drops mid-APDU
};

/** The pcsc-lite code in @pokusew/pcsclite's message ("SCardTransmit error: ...(0x80100069)"), or -1. */
export function pcscErrorCode(message: string): number {
  const m = /\(0x([0-9a-f]{8})\)/i.exec(message);
  return m ? Number.parseInt(m[1], 16) : -1;
}

export class PcscReader implements Reader {
  private readonly readerFilter: string | undefined;
  private connection: PcscConnection | null = null;

  /** readerFilter: use the first reader whose name contains it; any reader when absent. */
  constructor(readerFilter?: string) {
    this.readerFilter = readerFilter;
  }

  get name(): string {
    if (this.connection !== null) return this.connection.readerName;
    return this.readerFilter === undefined ? 'PC/SC (any reader)' : `PC/SC '${this.readerFilter}'`;
  }

  async waitForCard(timeoutMs: number): Promise<Uint8Array> {
    await this.powerOff();
    this.connection = await connectPcsc({ reader: this.readerFilter, timeoutMs });
    return this.connection.atr;
  }

  readonly transmit: Transmit = async (apdu) => {
    const conn = this.connection;
    if (conn === null) throw new CardRemovedError('absent');
    try {
      return await conn.transmit(apdu);
    } catch (e) {
      const message = (e as Error).message;
      const reason = REMOVAL_CODES[pcscErrorCode(message)];
      if (reason !== undefined) throw new CardRemovedError(reason, message);
      throw e;
    }
  };

  async powerOff(): Promise<void> {
    const conn = this.connection;
    this.connection = null;
    if (conn !== null) await conn.close();
  }

  close(): Promise<void> {
    return this.powerOff();
  }
}
