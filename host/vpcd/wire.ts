/**
 * vpcd wire format (vsmartcard's vpcd.c / ifd-vpcd.c; docs/vpcd-pcscd.md "vpcd protocol"), shared by the card and the reader
 * side of the RF link.
 *
 *   +--------+--------+----------------------+
 *   | len hi | len lo | payload (len bytes)  |   the same in both directions
 *   +--------+--------+----------------------+
 *
 * Reader -> card: a 1-byte payload is a control byte (VPCD_CTRL_*), a longer one a C-APDU.
 * Card -> reader: the reply to VPCD_CTRL_ATR or to a C-APDU; a 0-length reply means "card removed".
 */

export const VPCD_CTRL_OFF = 0x00;
export const VPCD_CTRL_ON = 0x01;
export const VPCD_CTRL_RESET = 0x02;
export const VPCD_CTRL_ATR = 0x04;

export const FRAME_HEADER_LEN = 2;
/** The 16-bit length field caps every payload (docs/vpcd-pcscd.md "Tools": 65535-byte responses pass). */
export const MAX_FRAME_PAYLOAD = 0xffff;

/** Header and payload in one buffer, so one write() sends both (the 44 ms Nagle stall, docs/vpcd-pcscd.md "The 44 ms stall"). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`vpcd frame payload too large: at most ${MAX_FRAME_PAYLOAD} bytes, got ${payload.length}`);
  }
  const frame = new Uint8Array(FRAME_HEADER_LEN + payload.length);
  frame[0] = (payload.length >> 8) & 0xff;
  frame[1] = payload.length & 0xff;
  frame.set(payload, FRAME_HEADER_LEN);
  return frame;
}

/** One decoded unit: a whole frame, or the announcement of a frame over the limit (its bytes are dropped). */
export type DecodedFrame = { kind: 'frame'; payload: Uint8Array } | { kind: 'oversize'; length: number };

/**
 * Streaming decoder: accepts TCP chunks of any size (split headers, split payloads, several frames
 * per chunk) and returns the frames completed so far. A frame longer than `maxPayload` is skipped
 * byte-exactly, so the stream stays in step and the caller can answer it with an error.
 */
export class FrameDecoder {
  private readonly maxPayload: number;
  private readonly header = new Uint8Array(FRAME_HEADER_LEN);
  private headerFill = 0;
  private payload: Uint8Array | null = null;
  private payloadFill = 0;
  private skipRemaining = 0;

  constructor(maxPayload: number = MAX_FRAME_PAYLOAD) {
    if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > MAX_FRAME_PAYLOAD) {
      throw new RangeError(`maxPayload must be an integer in 0..${MAX_FRAME_PAYLOAD}, got ${maxPayload}`);
    }
    this.maxPayload = maxPayload;
  }

  push(chunk: Uint8Array): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, chunk.length - off);
        this.skipRemaining -= n;
        off += n;
      } else if (this.payload !== null) {
        const n = Math.min(this.payload.length - this.payloadFill, chunk.length - off);
        this.payload.set(chunk.subarray(off, off + n), this.payloadFill);
        this.payloadFill += n;
        off += n;
        if (this.payloadFill === this.payload.length) {
          out.push({ kind: 'frame', payload: this.payload });
          this.payload = null;
        }
      } else {
        this.header[this.headerFill++] = chunk[off++];
        if (this.headerFill === FRAME_HEADER_LEN) {
          this.headerFill = 0;
          this.startFrame((this.header[0] << 8) | this.header[1], out);
        }
      }
    }
    return out;
  }

  /** True when no partial frame is buffered (a clean point to close the connection). */
  get idle(): boolean {
    return this.headerFill === 0 && this.payload === null && this.skipRemaining === 0;
  }

  private startFrame(length: number, out: DecodedFrame[]): void {
    if (length > this.maxPayload) {
      out.push({ kind: 'oversize', length });
      this.skipRemaining = length;
    } else if (length === 0) {
      out.push({ kind: 'frame', payload: new Uint8Array(0) });
    } else {
      this.payload = new Uint8Array(length);
      this.payloadFill = 0;
    }
  }
}
