/**
 * PN532 host-link frames (NXP PN532 User Manual §6.2.1), sans-I/O and allocation-free:
 * the caller owns the buffers, so the same code runs on the APDU path of the board and in the
 * Lua build.
 *
 *   normal:    00 | 00 FF | LEN | LCS | TFI | PD0..PDn | DCS | 00        LEN = 1 + n+1 <= 255
 *   extended:  00 | 00 FF | FF FF | LENm LENl | LCS | TFI | PD.. | DCS | 00
 *   ACK:       00 00 FF 00 FF 00        NACK: 00 00 FF FF 00 00
 *   error:     00 00 FF 01 FF 7F 81 00  (a normal frame whose only byte is TFI 7F: syntax error)
 *
 * LCS: (LEN + LCS) & FF = 0 (extended: LENm + LENl + LCS). DCS: (TFI + sum PD + DCS) & FF = 0.
 */
import { shr } from '../bits';

export const TFI_HOST_TO_PN532 = 0xd4;
export const TFI_PN532_TO_HOST = 0xd5;
/** TFI of the PN532's "syntax error" frame (UM §6.2.1.5). */
export const TFI_ERROR = 0x7f;

/** Largest PD (command code included) in a normal frame: LEN counts TFI + PD and is one byte. */
export const NORMAL_PD_MAX = 254;
/** Largest PD the PN532 accepts in an extended frame (libnfc PN53x_EXTENDED_FRAME__DATA_MAX_LEN). */
export const EXTENDED_PD_MAX = 264;
/** Bytes around PD: 00 00 FF LEN LCS TFI ... DCS 00. */
export const NORMAL_OVERHEAD = 8;
/** Bytes around PD: 00 00 FF FF FF LENm LENl LCS TFI ... DCS 00. */
export const EXTENDED_OVERHEAD = 11;
/** A buffer this size holds any frame either side sends. */
export const FRAME_BUFFER_SIZE = EXTENDED_PD_MAX + EXTENDED_OVERHEAD;
export const ACK_FRAME_LEN = 6;

/** Result codes of decodeFrame (not exceptions: bad bytes on the wire are expected). */
export const FRAME = {
  /** An information frame; see FrameInfo for TFI and the PD range. */
  INFO: 1,
  ACK: 2,
  NACK: 3,
  /** The PN532's syntax-error frame (TFI 7F). */
  ERROR_FRAME: 4,
  /** No 00 FF start code in the bytes given. */
  BAD_START: -1,
  /** Fewer bytes than the frame announces. */
  TRUNCATED: -2,
  /** Length checksum wrong. */
  BAD_LCS: -3,
  /** Data checksum wrong. */
  BAD_DCS: -4,
  /** Postamble missing or not 00. */
  BAD_POSTAMBLE: -5,
  /** LEN of 0, or over the extended maximum. */
  BAD_LENGTH: -6,
} as const;

/** Where decodeFrame found the information frame's fields (filled in place, no allocation). */
export class FrameInfo {
  tfi = 0;
  /** Offset of PD0 (the command or response code) in the buffer that was decoded. */
  pdOffset = 0;
  /** Number of PD bytes, command/response code included. */
  pdLength = 0;
  /** Offset just past the postamble. */
  end = 0;
}

/** Offset at which the caller writes PD before encodeFrame, for a PD of pdLength bytes. */
export function pdOffsetFor(pdLength: number): number {
  return pdLength <= NORMAL_PD_MAX ? 6 : 9;
}

/**
 * Wraps the PD already written at out[pdOffsetFor(pdLength)..] into a complete frame in place.
 * Returns the frame length, or FRAME.BAD_LENGTH if pdLength is 0, too long, or out is too small.
 */
export function encodeFrame(out: Uint8Array, tfi: number, pdLength: number): number {
  if (pdLength < 1 || pdLength > EXTENDED_PD_MAX) return FRAME.BAD_LENGTH;
  const extended = pdLength > NORMAL_PD_MAX;
  const total = pdLength + (extended ? EXTENDED_OVERHEAD : NORMAL_OVERHEAD);
  if (total > out.length) return FRAME.BAD_LENGTH;
  const len = pdLength + 1; // TFI + PD
  out[0] = 0x00;
  out[1] = 0x00;
  out[2] = 0xff;
  let p = 3;
  if (extended) {
    out[3] = 0xff;
    out[4] = 0xff;
    out[5] = shr(len, 8) & 0xff;
    out[6] = len & 0xff;
    out[7] = (0x100 - ((out[5] + out[6]) & 0xff)) & 0xff;
    p = 8;
  } else {
    out[3] = len & 0xff;
    out[4] = (0x100 - len) & 0xff;
    p = 5;
  }
  out[p] = tfi & 0xff;
  let sum = tfi & 0xff;
  const pd = p + 1;
  for (let i = 0; i < pdLength; i++) sum = (sum + out[pd + i]) & 0xff;
  out[pd + pdLength] = (0x100 - sum) & 0xff;
  out[pd + pdLength + 1] = 0x00;
  return total;
}

/** Writes an ACK frame (UM §6.2.1.3) at out[off..]; returns its length. */
export function encodeAck(out: Uint8Array, off: number): number {
  out[off] = 0x00;
  out[off + 1] = 0x00;
  out[off + 2] = 0xff;
  out[off + 3] = 0x00;
  out[off + 4] = 0xff;
  out[off + 5] = 0x00;
  return ACK_FRAME_LEN;
}

/** Writes a NACK frame (UM §6.2.1.4: asks the PN532 to send its last response again). */
export function encodeNack(out: Uint8Array, off: number): number {
  out[off] = 0x00;
  out[off + 1] = 0x00;
  out[off + 2] = 0xff;
  out[off + 3] = 0xff;
  out[off + 4] = 0x00;
  out[off + 5] = 0x00;
  return ACK_FRAME_LEN;
}

/**
 * Decodes one frame from buf[off .. off+len). Leading 00 bytes before the 00 FF start code are
 * skipped (the preamble is optional on the wire). Returns one of FRAME; for FRAME.INFO the fields
 * are in `info`.
 */
export function decodeFrame(buf: Uint8Array, off: number, len: number, info: FrameInfo): number {
  const end = off + len;
  let p = off;
  while (p < end && buf[p] === 0x00) p++;
  // p is at the first non-zero byte; the start code is the 00 just before it plus this FF.
  if (p >= end || p === off || buf[p] !== 0xff) return p >= end ? FRAME.TRUNCATED : FRAME.BAD_START;
  p++;
  if (p + 2 > end) return FRAME.TRUNCATED;
  const b0 = buf[p];
  const b1 = buf[p + 1];
  if (b0 === 0x00 && b1 === 0xff) return postamble(buf, p + 2, end, FRAME.ACK, info);
  if (b0 === 0xff && b1 === 0x00) return postamble(buf, p + 2, end, FRAME.NACK, info);
  let dataLen = 0;
  if (b0 === 0xff && b1 === 0xff) {
    if (p + 5 > end) return FRAME.TRUNCATED;
    dataLen = (buf[p + 2] << 8) | buf[p + 3];
    if (((buf[p + 2] + buf[p + 3] + buf[p + 4]) & 0xff) !== 0) return FRAME.BAD_LCS;
    p = p + 5;
  } else {
    dataLen = b0;
    if (((b0 + b1) & 0xff) !== 0) return FRAME.BAD_LCS;
    p = p + 2;
  }
  if (dataLen < 1 || dataLen > EXTENDED_PD_MAX + 1) return FRAME.BAD_LENGTH;
  if (p + dataLen + 1 > end) return FRAME.TRUNCATED;
  let sum = 0;
  for (let i = 0; i < dataLen; i++) sum = (sum + buf[p + i]) & 0xff;
  if (((sum + buf[p + dataLen]) & 0xff) !== 0) return FRAME.BAD_DCS;
  info.tfi = buf[p];
  info.pdOffset = p + 1;
  info.pdLength = dataLen - 1;
  const kind = info.tfi === TFI_ERROR && dataLen === 1 ? FRAME.ERROR_FRAME : FRAME.INFO;
  return postamble(buf, p + dataLen + 1, end, kind, info);
}

function postamble(buf: Uint8Array, p: number, end: number, kind: number, info: FrameInfo): number {
  if (p >= end) return FRAME.TRUNCATED;
  if (buf[p] !== 0x00) return FRAME.BAD_POSTAMBLE;
  info.end = p + 1;
  return kind;
}
