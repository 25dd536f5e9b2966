/**
 * The wire between the stand-in PN532 inside the interpreter (standin-script.ts) and the host
 * (pn532-bridge.ts): two FIFOs, one request and one answer per I2C transfer or pin write. The
 * interpreter blocks in fread until the answer is there, so every transfer is synchronous, as
 * Espruino's I2C is (src/jswrap_spi_i2c.c).
 *
 * Request (interpreter -> host), little-endian:
 *
 *   op(1) gapUs(4) previousCallUs(4) vars(2) entryVars(2) frameVars(2) heldVars(2) then, by op:
 *     'W' address(1) length(2) data(length)     I2C1.writeTo(address, data)
 *     'R' address(1) length(2)                  I2C1.readFrom(address, length)
 *     'P' level(1)                              D4.write(level)  (PN532 RSTPDN)
 *
 *   gapUs           interpreter time since the previous call returned (getTime() in the
 *                   interpreter): the firmware ran, or slept waiting for a timer, that long
 *   previousCallUs  how long the previous call took inside the stand-in (FIFO round trip included)
 *   vars            process.memory(false).usage (no garbage collection) inside the stand-in's
 *                   sender, its own temporaries included: the whole interpreter at the call
 *   entryVars       the same at the first statement of the called function, before the stand-in
 *                   made anything of its own
 *   frameVars       what a call of that function itself holds at its first statement (scope,
 *                   parameter names), measured by the stand-in at power-on
 *   heldVars        what the stand-in's objects hold (E.getSizeOf), measured at power-on
 *
 * Answer (host -> interpreter): status(1), 0 = done, 1 = no device answered (the stand-in throws,
 * as an I2C transfer without ACK does); for a successful 'R', the `length` bytes read follow.
 */

export const OP = { WRITE: 0x57, READ: 0x52, PIN: 0x50 } as const;
export const ANSWER = { OK: 0, NO_ACK: 1 } as const;
export const REQUEST_HEADER_LEN = 17;

interface CallTimes {
  /** Interpreter time since the previous stand-in call returned, in µs. */
  gapUs: number;
  /** Time the previous stand-in call took, in µs (0 for the first call). */
  previousCallUs: number;
  /** JsVars in use inside the stand-in's sender (the stand-in's temporaries included). */
  vars: number;
  /** JsVars in use at the called function's first statement. */
  entryVars: number;
  /** JsVars the called function's frame holds at its first statement (measured at power-on). */
  frameVars: number;
  /** JsVars the stand-in's objects hold (measured at power-on). */
  heldVars: number;
}

export type StandInRequest = CallTimes &
  ({ op: 'write'; address: number; data: Uint8Array } | { op: 'read'; address: number; length: number } | { op: 'pin'; high: boolean });

export class StandInProtocolError extends Error {}

/** Splits the request stream into requests (a request may arrive in pieces). */
export class RequestParser {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StandInRequest[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: StandInRequest[] = [];
    for (;;) {
      const request = this.next();
      if (request === null) break;
      out.push(request);
    }
    return out;
  }

  /** The next complete request, consumed, or null while it is incomplete. */
  private next(): StandInRequest | null {
    const b = this.buffer;
    if (b.length < REQUEST_HEADER_LEN + 1) return null;
    const times: CallTimes = {
      gapUs: b.readUInt32LE(1),
      previousCallUs: b.readUInt32LE(5),
      vars: b.readUInt16LE(9),
      entryVars: b.readUInt16LE(11),
      frameVars: b.readUInt16LE(13),
      heldVars: b.readUInt16LE(15),
    };
    const h = REQUEST_HEADER_LEN;
    let request: StandInRequest;
    let size: number;
    switch (b[0]) {
      case OP.WRITE: {
        if (b.length < h + 3) return null;
        const length = b.readUInt16LE(h + 1);
        size = h + 3 + length;
        if (b.length < size) return null;
        request = { op: 'write', address: b[h], data: Uint8Array.from(b.subarray(h + 3, size)), ...times };
        break;
      }
      case OP.READ:
        size = h + 3;
        if (b.length < size) return null;
        request = { op: 'read', address: b[h], length: b.readUInt16LE(h + 1), ...times };
        break;
      case OP.PIN:
        size = h + 1;
        request = { op: 'pin', high: b[h] !== 0, ...times };
        break;
      default:
        throw new StandInProtocolError(`stand-in PN532: unknown request op 0x${b[0].toString(16)}`);
    }
    this.buffer = b.subarray(size);
    return request;
  }
}
