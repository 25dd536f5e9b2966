/**
 * The SMS user data header that starts every link frame (3GPP TS 23.040 §9.2.3.24, TS 31.115 §4;
 * 3GPP TS 23.040 §9.2.3.24.1). One MQTT payload is one frame, shaped like the TP-UD of an SMS-PP
 * message with UDHI set:
 *
 *   frame = UDHL(1) | IE ... | user data (part of a secured packet)
 *   IE    = IEI(1) | IEDL(1) | IED(IEDL)
 *
 *   IEI 00  concatenation, 8-bit reference:  ref(1)  total(1) seq(1)   TS 23.040 §9.2.3.24.1
 *   IEI 08  concatenation, 16-bit reference: ref(2)  total(1) seq(1)   TS 23.040 §9.2.3.24.8
 *   IEI 70  command packet identifier (CPI), IEDL 0                    TS 31.115 §4.2
 *   IEI 71  response packet identifier (RPI), IEDL 0                   TS 31.115 §4.2
 *
 * A whole packet in one frame has no concatenation IE (UDH 02 70 00). A concatenated packet has the
 * concatenation IE in every frame and the CPI/RPI in the first one only (03.48 table 7: UDHL 07).
 * Other IEs are skipped, as TS 23.040 tells a receiver to do with IEs it does not know.
 */
import { readU16, writeU16 } from '../bytes';

export const IEI_CONCAT_8 = 0x00;
export const IEI_CONCAT_16 = 0x08;
export const IEI_COMMAND_PACKET = 0x70;
export const IEI_RESPONSE_PACKET = 0x71;

export const IEDL_CONCAT_8 = 3;
export const IEDL_CONCAT_16 = 4;

/** What kind of secured packet a frame (or its first segment) carries. */
export const PACKET_COMMAND = IEI_COMMAND_PACKET;
export const PACKET_RESPONSE = IEI_RESPONSE_PACKET;

/** Reference widths of the concatenation IE; REF_NONE for a packet sent in one frame. */
export const REF_NONE = 0;
export const REF_8 = 8;
export const REF_16 = 16;

/** The SMS TP-UD limit: 140 octets, UDH included (TS 23.040 §9.2.3.16). The default frame size. */
export const SMS_USER_DATA_MAX = 140;

/** UDH length in octets (UDHL byte included) for a frame of the given shape. */
export function udhLength(refWidth: number, first: boolean): number {
  let n = 1;
  if (refWidth === REF_8) n = n + 2 + IEDL_CONCAT_8;
  else if (refWidth === REF_16) n = n + 2 + IEDL_CONCAT_16;
  if (first) n = n + 2;
  return n;
}

/** The decoded header of one frame. Reused: parseUdh overwrites every field. */
export class FrameHeader {
  /** REF_NONE (single frame), REF_8 or REF_16. */
  refWidth = REF_NONE;
  ref = 0;
  /** Total parts and this part's 1-based number; 1 and 1 for a single frame. */
  total = 1;
  seq = 1;
  /** PACKET_COMMAND, PACKET_RESPONSE, or 0 when the frame is not the first segment. */
  packetId = 0;
  /** Where this frame's share of the packet starts and how long it is. */
  dataOff = 0;
  dataLen = 0;
}

/**
 * Parses the UDH of frame[off, off+len) into h. Returns false for a malformed header: UDHL past the
 * frame, an IE past the UDH, a concatenation IE of the wrong length, two concatenation IEs, total 0,
 * seq 0 or seq > total (TS 23.040 lets a phone ignore such an IE; the link refuses the frame), a
 * CPI/RPI with data, both CPI and RPI, a CPI/RPI outside the first segment or missing from it, or
 * no user data after the header.
 */
export function parseUdh(frame: Uint8Array, off: number, len: number, h: FrameHeader): boolean {
  if (len < 1 || off + len > frame.length) return false;
  const udhl = frame[off];
  const end = off + 1 + udhl;
  if (udhl === 0 || end >= off + len) return false;
  h.refWidth = REF_NONE;
  h.ref = 0;
  h.total = 1;
  h.seq = 1;
  h.packetId = 0;
  let p = off + 1;
  while (p < end) {
    if (p + 2 > end) return false;
    const iei = frame[p];
    const iedl = frame[p + 1];
    const ied = p + 2;
    if (ied + iedl > end) return false;
    if (iei === IEI_CONCAT_8 || iei === IEI_CONCAT_16) {
      if (h.refWidth !== REF_NONE) return false;
      if (iei === IEI_CONCAT_8) {
        if (iedl !== IEDL_CONCAT_8) return false;
        h.refWidth = REF_8;
        h.ref = frame[ied];
        h.total = frame[ied + 1];
        h.seq = frame[ied + 2];
      } else {
        if (iedl !== IEDL_CONCAT_16) return false;
        h.refWidth = REF_16;
        h.ref = readU16(frame, ied);
        h.total = frame[ied + 2];
        h.seq = frame[ied + 3];
      }
      if (h.total === 0 || h.seq === 0 || h.seq > h.total) return false;
    } else if (iei === IEI_COMMAND_PACKET || iei === IEI_RESPONSE_PACKET) {
      if (iedl !== 0 || h.packetId !== 0) return false;
      h.packetId = iei;
    }
    p = ied + iedl;
  }
  if (h.seq === 1 && h.packetId === 0) return false;
  if (h.seq !== 1 && h.packetId !== 0) return false;
  h.dataOff = end;
  h.dataLen = off + len - end;
  return true;
}

/**
 * Writes the UDH for part seq of total into out[outOff..]; returns its length (udhLength()).
 * The CPI/RPI goes into the first part only; refWidth REF_NONE writes the single-frame UDH.
 */
export function writeUdh(
  refWidth: number,
  ref: number,
  total: number,
  seq: number,
  packetId: number,
  out: Uint8Array,
  outOff: number,
): number {
  const first = seq === 1;
  const n = udhLength(refWidth, first);
  let p = outOff + 1;
  out[outOff] = (n - 1) & 0xff;
  if (refWidth === REF_8) {
    out[p] = IEI_CONCAT_8;
    out[p + 1] = IEDL_CONCAT_8;
    out[p + 2] = ref & 0xff;
    out[p + 3] = total & 0xff;
    out[p + 4] = seq & 0xff;
    p = p + 5;
  } else if (refWidth === REF_16) {
    out[p] = IEI_CONCAT_16;
    out[p + 1] = IEDL_CONCAT_16;
    writeU16(out, p + 2, ref);
    out[p + 4] = total & 0xff;
    out[p + 5] = seq & 0xff;
    p = p + 6;
  }
  if (first) {
    out[p] = packetId & 0xff;
    out[p + 1] = 0;
  }
  return n;
}
