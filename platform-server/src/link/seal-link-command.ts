/**
 * The platform's sending half (platform-link.ts toward a device; the device's end does the same
 * in firmware/src/core/link/device-link.ts with buffers of its own): take the next counter
 * (persisted before use, "must be higher"), then seal a TS 102 225 command packet with a secured
 * PoR requested.
 */
import { CommandHeader, SPI1_LINK, SPI2_POR_SECURED, sealCommand } from '../../../firmware/src/core/link/command-packet';
import { CNTR_LEN, takeNextCounter, type CounterStore } from '../../../firmware/src/core/link/counter';
import type { LinkKeyset } from '../../../firmware/src/core/link/keyset';

export type SealedLinkCommand =
  | { ok: true; packet: Uint8Array; len: number; cntrHex: string }
  | { ok: false; error: 'COUNTER_EXHAUSTED' | 'PACKET_TOO_LONG' };

export function sealLinkCommand(keys: LinkKeyset, counter: CounterStore, tar: number, data: Uint8Array, maxPacket: number): SealedLinkCommand {
  const cntr = new Uint8Array(CNTR_LEN);
  if (!takeNextCounter(counter, new Uint8Array(CNTR_LEN), cntr, 0)) return { ok: false, error: 'COUNTER_EXHAUSTED' };
  const header = new CommandHeader();
  header.spi1 = SPI1_LINK;
  header.spi2 = SPI2_POR_SECURED;
  header.tar = tar;
  const packet = new Uint8Array(maxPacket);
  try {
    const len = sealCommand(header, keys, cntr, 0, data, 0, data.length, packet, 0);
    return { ok: true, packet, len, cntrHex: Buffer.from(cntr).toString('hex') };
  } catch {
    return { ok: false, error: 'PACKET_TOO_LONG' };
  }
}
