/**
 * Splits one secured packet into SMS-sized link frames (TS 23.040 §9.2.3.24.1 concatenation,
 * TS 31.115 §4; 3GPP TS 23.040 §9.2.3.24.1). A packet that fits one frame goes out as UDH 02 70 00 |
 * packet; a longer one as concatenated parts whose first part also carries the CPI/RPI.
 *
 * Capacity per frame at the default 140 octets (3GPP TS 23.040 §9.2.3.24.1): single 137; concatenated with an
 * 8-bit reference 132 in the first part and 134 in the others; with a 16-bit reference 131 / 133.
 *
 * Usage: `const n = seg.begin(packet, 0, len, PACKET_COMMAND, ref); for (let i = 0; i < n; i++)
 * send(seg.next())`. The frame returned by next() is a view of one buffer the segmenter owns, valid
 * until the following call.
 */
import { copy } from '../bytes';
import { REF_16, REF_8, REF_NONE, SMS_USER_DATA_MAX, udhLength, writeUdh } from './udh';

/** begin() failure codes (a packet never gets a negative part count). */
export const SEGMENT_TOO_LONG = 0;

/** The largest part count a concatenation IE can express (TS 23.040 §9.2.3.24.1). */
export const MAX_PARTS_IE = 255;

export class SegmenterSettings {
  /** Frame size in octets. 140 (one SMS) unless the deployment sets a larger one. */
  frameSize = SMS_USER_DATA_MAX;
  /** REF_8 (IEI 00) or REF_16 (IEI 08) for concatenated packets. */
  refWidth = REF_8;
  /** Upper bound on parts per packet; the receiving Reassembler must allow as many. */
  maxParts = 8;
}

export class Segmenter {
  private readonly frameSize: number;
  private readonly refWidth: number;
  private readonly maxParts: number;
  private readonly frame: Uint8Array;
  private packet: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private kind = 0;
  private ref = 0;
  private width = REF_NONE;
  private total = 0;
  private seq = 0;

  constructor(settings: SegmenterSettings) {
    if (settings.refWidth !== REF_8 && settings.refWidth !== REF_16) {
      throw new Error('Segmenter: refWidth must be 8 or 16, got ' + settings.refWidth);
    }
    if (settings.frameSize < udhLength(REF_16, true) + 1 || settings.frameSize > 0xffff) {
      throw new Error('Segmenter: frameSize must be 10..65535 octets, got ' + settings.frameSize);
    }
    if (settings.maxParts < 1 || settings.maxParts > MAX_PARTS_IE) {
      throw new Error('Segmenter: maxParts must be 1..255, got ' + settings.maxParts);
    }
    this.frameSize = settings.frameSize;
    this.refWidth = settings.refWidth;
    this.maxParts = settings.maxParts;
    this.frame = new Uint8Array(settings.frameSize);
  }

  /** The longest packet maxParts frames carry. */
  packetMax(): number {
    if (this.maxParts === 1) return this.frameSize - udhLength(REF_NONE, true);
    return this.frameSize - udhLength(this.refWidth, true) + (this.maxParts - 1) * (this.frameSize - udhLength(this.refWidth, false));
  }

  /** Number of frames a packet of len octets needs, or SEGMENT_TOO_LONG when over maxParts. */
  partsFor(len: number): number {
    if (len <= this.frameSize - udhLength(REF_NONE, true)) return 1;
    const first = this.frameSize - udhLength(this.refWidth, true);
    const other = this.frameSize - udhLength(this.refWidth, false);
    const parts = 1 + Math.floor((len - first + other - 1) / other);
    return parts > this.maxParts ? SEGMENT_TOO_LONG : parts;
  }

  /**
   * Starts segmenting packet[off, off+len) of kind PACKET_COMMAND or PACKET_RESPONSE under
   * reference ref (chosen by the sender, distinct for packets in flight). Returns the part count,
   * or SEGMENT_TOO_LONG. The packet must stay unchanged until the last next().
   */
  begin(packet: Uint8Array, off: number, len: number, kind: number, ref: number): number {
    if (len < 1 || off + len > packet.length) throw new Error('Segmenter: packet range outside the buffer');
    const parts = this.partsFor(len);
    if (parts === SEGMENT_TOO_LONG) return SEGMENT_TOO_LONG;
    this.packet = packet;
    this.pos = off;
    this.end = off + len;
    this.kind = kind;
    this.width = parts === 1 ? REF_NONE : this.refWidth;
    this.ref = this.refWidth === REF_8 ? ref & 0xff : ref & 0xffff;
    this.total = parts;
    this.seq = 0;
    return parts;
  }

  /** The next frame, or null after the last one. */
  next(): Uint8Array | null {
    if (this.seq >= this.total) return null;
    this.seq = this.seq + 1;
    const h = writeUdh(this.width, this.ref, this.total, this.seq, this.kind, this.frame, 0);
    let n = this.frameSize - h;
    if (n > this.end - this.pos) n = this.end - this.pos;
    copy(this.packet, this.pos, this.frame, h, n);
    this.pos = this.pos + n;
    return this.frame.subarray(0, h + n);
  }
}
