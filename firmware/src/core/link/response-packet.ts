/**
 * Response packets (proof of receipt), SMS dialect (ETSI TS 102 225 §5.2, 3GPP TS 31.115 §4-§7;
 * ETSI TS 102 225 §5.1; 3GPP TS 31.115 §4). The RPI is the UDH's IEI 71 (udh.ts); the packet is:
 *
 *   off  0  RPL     2  octets from RHL to the end
 *        2  RHL     1  10 + CC length: 0x12 secured, 0x0A clear
 *        3  TAR     3  echoes the command's TAR
 *        6  CNTR    5  echoes the command's counter -- secured form: ciphered from here (AES-CBC)
 *       11  PCNTR   1  zero padding octets at the end
 *       12  STATUS  1  por-status.ts
 *       13  CC      8  secured form only
 *       21  response data, then PCNTR zero octets
 *
 * The checksum covers UDHL | RPI IE (02 71 00) | RPL..STATUS | data | padding, as TS 31.115 has it
 * for a single-SMS PoR (pySim ota.py decode_resp). The link uses those three octets for every PoR,
 * also a concatenated one, so the checksum does not depend on how the packet was segmented.
 *
 * Two forms only: secured (ciphered and checksummed, under the keys of the command it answers) or
 * clear (no data, CNTR zero) for a refusal whose command never authenticated (TAR unknown, CC
 * failed...). A clear PoR claiming success is refused by the opener.
 */
import { copy, fill, readU16, readU24, writeU16, writeU24 } from '../bytes';
import { cbcDecrypt, cbcEncrypt } from '../crypto/cbc';
import { CC_LEN, checksumMatches, computeChecksum, paddingFor } from './_checksum';
import { CNTR_LEN } from './counter';
import { LinkKeyset } from './keyset';
import { POR } from './por-status';
import { IEI_RESPONSE_PACKET } from './udh';

export const RSP_AT_RPL = 0;
export const RSP_AT_RHL = 2;
export const RSP_AT_TAR = 3;
export const RSP_AT_CNTR = 6;
export const RSP_AT_PCNTR = 11;
export const RSP_AT_STATUS = 12;
export const RSP_AT_CC = 13;
export const RSP_AT_DATA_SECURED = 21;
export const RSP_AT_DATA_CLEAR = 13;
/** RHL: TAR(3) CNTR(5) PCNTR(1) STATUS(1) plus the CC. */
export const RSP_RHL_SECURED = 10 + CC_LEN;
export const RSP_RHL_CLEAR = 10;

/** The single-SMS UDH a PoR checksum starts with (TS 31.115; see the header comment). */
const POR_CC_PREFIX = new Uint8Array(3);
POR_CC_PREFIX[0] = 0x02;
POR_CC_PREFIX[1] = IEI_RESPONSE_PACKET;
POR_CC_PREFIX[2] = 0x00;
const ZERO_ICV = new Uint8Array(16);

/** open() results. Values >= 16 are refusals. */
export const RESPONSE = {
  /** Secured PoR, checksum verified. */
  VERIFIED: 0,
  /** Clear PoR reporting a refusal; its status is readable but not authenticated. */
  CLEAR: 1,
  MALFORMED: 16,
  CIPHERING_ERROR: 17,
  CHECKSUM_FAILED: 18,
  /** Clear PoR claiming status 00: never trusted. */
  UNSECURED_SUCCESS: 19,
} as const;

export function responsePacketLength(dataLen: number): number {
  return RSP_AT_DATA_SECURED + dataLen + paddingFor(RSP_AT_DATA_SECURED - RSP_AT_CNTR + dataLen);
}

/**
 * Builds a secured PoR for the command with TAR tar and counter cntr[cntrOff..] into out[outOff..];
 * returns its length. Throws when out is too small (a caller error).
 */
export function sealResponse(
  keys: LinkKeyset,
  tar: number,
  cntr: Uint8Array,
  cntrOff: number,
  status: number,
  data: Uint8Array,
  dataOff: number,
  dataLen: number,
  out: Uint8Array,
  outOff: number,
): number {
  const total = responsePacketLength(dataLen);
  if (total - 2 > 0xffff || outOff + total > out.length) {
    throw new Error('sealResponse: packet of ' + total + ' octets does not fit the output buffer');
  }
  const pad = total - RSP_AT_DATA_SECURED - dataLen;
  const p = outOff;
  writeU16(out, p + RSP_AT_RPL, total - 2);
  out[p + RSP_AT_RHL] = RSP_RHL_SECURED;
  writeU24(out, p + RSP_AT_TAR, tar);
  copy(cntr, cntrOff, out, p + RSP_AT_CNTR, CNTR_LEN);
  out[p + RSP_AT_PCNTR] = pad;
  out[p + RSP_AT_STATUS] = status & 0xff;
  copy(data, dataOff, out, p + RSP_AT_DATA_SECURED, dataLen);
  fill(out, p + RSP_AT_DATA_SECURED + dataLen, pad, 0);
  computeChecksum(keys, POR_CC_PREFIX, out, p, RSP_AT_CC, out, p + RSP_AT_DATA_SECURED, total - RSP_AT_DATA_SECURED, out, p + RSP_AT_CC);
  cbcEncrypt(keys.kic, ZERO_ICV, 0, out, p + RSP_AT_CNTR, total - RSP_AT_CNTR, out, p + RSP_AT_CNTR);
  return total;
}

/** Builds a clear PoR (refusal, no data, CNTR zero) into out[outOff..]; returns its length (13). */
export function sealClearResponse(tar: number, status: number, out: Uint8Array, outOff: number): number {
  if (status === POR.OK) throw new Error('sealClearResponse: a clear PoR cannot report success');
  if (outOff + RSP_AT_DATA_CLEAR > out.length) throw new Error('sealClearResponse: output buffer too small');
  writeU16(out, outOff + RSP_AT_RPL, RSP_AT_DATA_CLEAR - 2);
  out[outOff + RSP_AT_RHL] = RSP_RHL_CLEAR;
  writeU24(out, outOff + RSP_AT_TAR, tar);
  fill(out, outOff + RSP_AT_CNTR, CNTR_LEN + 1, 0);
  out[outOff + RSP_AT_STATUS] = status & 0xff;
  return RSP_AT_DATA_CLEAR;
}

/**
 * Opens PoRs into its own preallocated buffer. After VERIFIED the response data is
 * `data[dataOff, dataOff + dataLen)`. The caller matches tar and cntr against the command it sent;
 * a PoR for no outstanding command is a replay.
 */
export class ResponseOpener {
  readonly data: Uint8Array;
  dataOff = RSP_AT_DATA_SECURED;
  dataLen = 0;
  tar = 0;
  status = 0;
  readonly cntr = new Uint8Array(CNTR_LEN);

  /** `data`: as CommandOpener's, a buffer of at least maxPacket bytes to open into, or a new one. */
  constructor(maxPacket: number, data?: Uint8Array) {
    if (data !== undefined && data.length < maxPacket) throw new Error('ResponseOpener: data buffer of ' + data.length + ' bytes, packets up to ' + maxPacket);
    this.data = data === undefined ? new Uint8Array(maxPacket) : data;
  }

  /** Checks and deciphers packet[off, off+len) under keys; returns a RESPONSE code. */
  open(packet: Uint8Array, off: number, len: number, keys: LinkKeyset): number {
    this.dataLen = 0;
    this.status = 0;
    fill(this.cntr, 0, CNTR_LEN, 0);
    if (len < RSP_AT_DATA_CLEAR || len > this.data.length || off + len > packet.length) return RESPONSE.MALFORMED;
    if (readU16(packet, off + RSP_AT_RPL) + 2 !== len) return RESPONSE.MALFORMED;
    this.tar = readU24(packet, off + RSP_AT_TAR);
    const rhl = packet[off + RSP_AT_RHL];
    if (rhl === RSP_RHL_CLEAR) {
      if (len !== RSP_AT_DATA_CLEAR) return RESPONSE.MALFORMED;
      this.status = packet[off + RSP_AT_STATUS];
      return this.status === POR.OK ? RESPONSE.UNSECURED_SUCCESS : RESPONSE.CLEAR;
    }
    if (rhl !== RSP_RHL_SECURED || len < RSP_AT_DATA_SECURED) return RESPONSE.MALFORMED;
    const ciphered = len - RSP_AT_CNTR;
    if (ciphered % 16 !== 0) return RESPONSE.CIPHERING_ERROR;
    const w = this.data;
    copy(packet, off, w, 0, RSP_AT_CNTR);
    cbcDecrypt(keys.kic, ZERO_ICV, 0, packet, off + RSP_AT_CNTR, ciphered, w, RSP_AT_CNTR);
    if (!checksumMatches(keys, POR_CC_PREFIX, w, 0, RSP_AT_CC, w, RSP_AT_DATA_SECURED, len - RSP_AT_DATA_SECURED, w, RSP_AT_CC)) {
      return this.refuse(len, RESPONSE.CHECKSUM_FAILED);
    }
    const pad = w[RSP_AT_PCNTR];
    if (pad > 15 || pad > len - RSP_AT_DATA_SECURED) return this.refuse(len, RESPONSE.CIPHERING_ERROR);
    copy(w, RSP_AT_CNTR, this.cntr, 0, CNTR_LEN);
    this.status = w[RSP_AT_STATUS];
    this.dataLen = len - RSP_AT_DATA_SECURED - pad;
    return RESPONSE.VERIFIED;
  }

  private refuse(len: number, code: number): number {
    fill(this.data, 0, len, 0);
    return code;
  }
}
