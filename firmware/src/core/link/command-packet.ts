/**
 * Secured command packets, SMS dialect (ETSI TS 102 225 §5.1, 3GPP TS 31.115
 * §4). The CPI is the UDH's IEI 70 (udh.ts); the packet itself is:
 *
 *   off  0  CPL    2  octets from CHL to the end, padding included
 *        2  CHL    1  13 + 8 = 0x15: SPI .. PCNTR plus the 8-octet CC
 *        3  SPI    2  spi.ts
 *        5  KIc    1  key index | AES-CBC
 *        6  KID    1  key index | AES-CMAC
 *        7  TAR    3  target application
 *       10  CNTR   5  -- ciphered from here to the end (AES-CBC, zero ICV)
 *       15  PCNTR  1  number of zero padding octets at the end
 *       16  CC     8  AES-CMAC over CPL..PCNTR || secured data || padding (as pySim's SMS dialect)
 *       24  secured data, then PCNTR zero octets up to a whole number of AES blocks
 *
 * The link's minimum security level: CC, ciphering and a checked counter (SPI octet 1 = 0x16 or
 * 0x1E). Anything weaker is refused with status 0A. The receiver checks, in this order, the
 * layout (06), the TAR (09), the security level (0A), the key set (06), the cipher text length (05),
 * the CC (01), the padding counter (05) and the counter (02/03/04); only a packet passing all of them changes the stored counter.
 */
import { shr } from '../bits';
import { copy, fill, readU16, readU24, writeU16, writeU24 } from '../bytes';
import { cbcDecrypt, cbcEncrypt } from '../crypto/cbc';
import { CC_LEN, checksumMatches, computeChecksum, paddingFor } from './_checksum';
import { CNTR_LEN, CounterStore, compareCounter, counterAtMax, isNextCounter } from './counter';
import { LinkKeyset } from './keyset';
import { POR } from './por-status';
import { CHECKSUM_CC, COUNTER_HIGHER, COUNTER_ONE_HIGHER, spiHasReservedBits } from './spi';

export const CMD_AT_CPL = 0;
export const CMD_AT_CHL = 2;
export const CMD_AT_SPI = 3;
export const CMD_AT_KIC = 5;
export const CMD_AT_KID = 6;
export const CMD_AT_TAR = 7;
export const CMD_AT_CNTR = 10;
export const CMD_AT_PCNTR = 15;
export const CMD_AT_CC = 16;
export const CMD_AT_DATA = 24;
/** CHL for SPI..PCNTR (13) plus an 8-octet CC. */
export const CMD_CHL = 13 + CC_LEN;

/** SPI octet 1 of the link: CC (10), ciphered, counter must be higher (10). */
export const SPI1_LINK = 0x16;
/** SPI octet 2 asking for a PoR always, with CC, ciphered, as SMS-SUBMIT. */
export const SPI2_POR_SECURED = 0x39;

const ZERO_ICV = new Uint8Array(16);

/** The clear header fields a sender chooses. */
export class CommandHeader {
  spi1 = SPI1_LINK;
  spi2 = SPI2_POR_SECURED;
  tar = 0;
}

/** True when SPI octet 1 meets the link's minimum security level. */
export function meetsLinkSecurity(spi1: number): boolean {
  const counter = shr(spi1, 3) & 0x03;
  return (spi1 & 0x03) === CHECKSUM_CC && (spi1 & 0x04) !== 0 && (counter === COUNTER_HIGHER || counter === COUNTER_ONE_HIGHER);
}

/** Length of the command packet carrying dataLen octets of secured data. */
export function commandPacketLength(dataLen: number): number {
  return CMD_AT_DATA + dataLen + paddingFor(CMD_AT_DATA - CMD_AT_CNTR + dataLen);
}

/** The most secured data a command packet of at most packetMax octets carries (the ciphered part is whole AES blocks). */
export function commandDataMax(packetMax: number): number {
  const ciphered = packetMax - CMD_AT_CNTR;
  return ciphered - (ciphered % 16) - (CMD_AT_DATA - CMD_AT_CNTR);
}

/**
 * Builds a secured command packet carrying data[dataOff, +dataLen) into out[outOff..] and returns
 * its length. cntr[cntrOff..] is the counter to send (counter.ts takeNextCounter). Throws when the
 * header is below the link's security level or out is too small (caller errors, not input).
 */
export function sealCommand(
  header: CommandHeader,
  keys: LinkKeyset,
  cntr: Uint8Array,
  cntrOff: number,
  data: Uint8Array,
  dataOff: number,
  dataLen: number,
  out: Uint8Array,
  outOff: number,
): number {
  if (!meetsLinkSecurity(header.spi1) || spiHasReservedBits(header.spi1, header.spi2)) {
    throw new Error('sealCommand: SPI ' + header.spi1 + '/' + header.spi2 + ' is below the link security level');
  }
  const total = commandPacketLength(dataLen);
  if (total - 2 > 0xffff || outOff + total > out.length) {
    throw new Error('sealCommand: packet of ' + total + ' octets does not fit the output buffer');
  }
  const pad = total - CMD_AT_DATA - dataLen;
  const p = outOff;
  writeU16(out, p + CMD_AT_CPL, total - 2);
  out[p + CMD_AT_CHL] = CMD_CHL;
  out[p + CMD_AT_SPI] = header.spi1 & 0xff;
  out[p + CMD_AT_SPI + 1] = header.spi2 & 0xff;
  out[p + CMD_AT_KIC] = keys.kicOctet;
  out[p + CMD_AT_KID] = keys.kidOctet;
  writeU24(out, p + CMD_AT_TAR, header.tar);
  copy(cntr, cntrOff, out, p + CMD_AT_CNTR, CNTR_LEN);
  out[p + CMD_AT_PCNTR] = pad;
  copy(data, dataOff, out, p + CMD_AT_DATA, dataLen);
  fill(out, p + CMD_AT_DATA + dataLen, pad, 0);
  computeChecksum(keys, null, out, p, CMD_AT_CC, out, p + CMD_AT_DATA, total - CMD_AT_DATA, out, p + CMD_AT_CC);
  cbcEncrypt(keys.kic, ZERO_ICV, 0, out, p + CMD_AT_CNTR, total - CMD_AT_CNTR, out, p + CMD_AT_CNTR);
  return total;
}

/** What the receiver needs to know about the sender of a command packet. */
export interface CommandSecurity {
  /** False makes the packet fail with TAR unknown (09). */
  acceptsTar(tar: number): boolean;
  readonly keys: LinkKeyset;
  /** Highest counter accepted so far under these keys. */
  readonly counter: CounterStore;
}

/**
 * Opens command packets into its own preallocated buffer. After open() returns POR.OK the secured
 * data is `data[dataOff, dataOff + dataLen)`; after any other status the buffer holds no plaintext.
 */
export class CommandOpener {
  readonly data: Uint8Array;
  dataOff = CMD_AT_DATA;
  dataLen = 0;
  /** From the clear header (valid once the layout check passed). */
  tar = 0;
  spi1 = 0;
  spi2 = 0;
  /** The packet's counter; zeros unless the checksum verified. */
  readonly cntr = new Uint8Array(CNTR_LEN);
  /** True once the checksum verified: only then may a PoR be secured and echo the counter. */
  authenticated = false;
  /** The packet's CC once it verified (zeros otherwise): under one key set it names the packet. */
  readonly cc = new Uint8Array(CC_LEN);

  private readonly stored = new Uint8Array(CNTR_LEN);

  /**
   * maxPacket bounds the packets accepted (the Reassembler's packet buffer size). `data`, when
   * given, is a buffer of at least maxPacket bytes to open into, shared with a ResponseOpener whose
   * opened data is never in use at the same time (LinkEndpoint).
   */
  constructor(maxPacket: number, data?: Uint8Array) {
    if (data !== undefined && data.length < maxPacket) throw new Error('CommandOpener: data buffer of ' + data.length + ' bytes, packets up to ' + maxPacket);
    this.data = data === undefined ? new Uint8Array(maxPacket) : data;
  }

  /** Checks and deciphers packet[off, off+len); returns a POR status code. */
  open(packet: Uint8Array, off: number, len: number, sec: CommandSecurity): number {
    this.dataLen = 0;
    this.authenticated = false;
    this.tar = 0;
    fill(this.cntr, 0, CNTR_LEN, 0);
    fill(this.cc, 0, CC_LEN, 0);
    if (len < CMD_AT_DATA + 2 || len > this.data.length || off + len > packet.length) return POR.UNIDENTIFIED_SECURITY_ERROR;
    if (readU16(packet, off + CMD_AT_CPL) + 2 !== len) return POR.UNIDENTIFIED_SECURITY_ERROR;
    this.spi1 = packet[off + CMD_AT_SPI];
    this.spi2 = packet[off + CMD_AT_SPI + 1];
    this.tar = readU24(packet, off + CMD_AT_TAR);
    if (!sec.acceptsTar(this.tar)) return POR.TAR_UNKNOWN;
    if (!meetsLinkSecurity(this.spi1)) return POR.INSUFFICIENT_SECURITY_LEVEL;
    if (spiHasReservedBits(this.spi1, this.spi2) || packet[off + CMD_AT_CHL] !== CMD_CHL) {
      return POR.UNIDENTIFIED_SECURITY_ERROR;
    }
    const keys = sec.keys;
    if (packet[off + CMD_AT_KIC] !== keys.kicOctet || packet[off + CMD_AT_KID] !== keys.kidOctet) {
      return POR.UNIDENTIFIED_SECURITY_ERROR;
    }
    const ciphered = len - CMD_AT_CNTR;
    if (ciphered % 16 !== 0) return POR.CIPHERING_ERROR;
    const w = this.data;
    copy(packet, off, w, 0, CMD_AT_CNTR);
    cbcDecrypt(keys.kic, ZERO_ICV, 0, packet, off + CMD_AT_CNTR, ciphered, w, CMD_AT_CNTR);
    // The CC covers the padding whatever PCNTR says, so it is checked first: tampering always
    // reads as RC/CC/DS failed, and a bad PCNTR can only come from a sender holding the keys.
    if (!checksumMatches(keys, null, w, 0, CMD_AT_CC, w, CMD_AT_DATA, len - CMD_AT_DATA, w, CMD_AT_CC)) {
      return this.refuse(len, POR.RC_CC_DS_FAILED);
    }
    const pad = w[CMD_AT_PCNTR];
    if (pad > 15 || pad > len - CMD_AT_DATA) return this.refuse(len, POR.CIPHERING_ERROR);
    this.authenticated = true;
    copy(w, CMD_AT_CNTR, this.cntr, 0, CNTR_LEN);
    copy(w, CMD_AT_CC, this.cc, 0, CC_LEN);
    const status = this.checkCounter(sec.counter);
    if (status !== POR.OK) return this.refuse(len, status);
    sec.counter.write(this.cntr, 0);
    this.dataLen = len - CMD_AT_DATA - pad;
    return POR.OK;
  }

  /** The counter rule of SPI b5b4 (TS 102 225 §5.1.1): 10 higher, 11 exactly one higher. */
  private checkCounter(store: CounterStore): number {
    store.read(this.stored, 0);
    if (counterAtMax(this.stored, 0)) return POR.CNTR_BLOCKED;
    if (compareCounter(this.cntr, 0, this.stored, 0) <= 0) return POR.CNTR_LOW;
    if ((shr(this.spi1, 3) & 0x03) === COUNTER_ONE_HIGHER && !isNextCounter(this.cntr, 0, this.stored, 0)) return POR.CNTR_HIGH;
    return POR.OK;
  }

  private refuse(len: number, status: number): number {
    fill(this.data, 0, len, 0);
    return status;
  }
}
