/**
 * Security parameter indicator, KIc and KID of a command packet (ETSI TS 102 225 §5.1.1-§5.1.3,
 * TS 31.115 §4; ETSI TS 102 225 §5.1; 3GPP TS 31.115 §4).
 *
 *   SPI octet 1: b2b1 RC/CC/DS (00 none, 01 RC, 10 CC, 11 DS), b3 ciphering,
 *                b5b4 counter (00 none, 01 present without check, 10 process only if higher,
 *                11 process only if exactly one higher), b8..b6 reserved
 *   SPI octet 2: b2b1 PoR (00 none, 01 always, 10 on error only), b4b3 PoR RC/CC/DS,
 *                b5 PoR ciphered, b6 PoR sent as SMS-SUBMIT (1) or in the DELIVER-REPORT (0)
 *   KIc / KID:   b8..b5 key index (key version 1..15), b4..b1 algorithm; b2b1 = 10 is AES
 *                (CBC for KIc, CMAC for KID; TS 102 225 §5.1.2, §5.1.3.1)
 */
import { shr } from '../bits';

export const CHECKSUM_NONE = 0;
export const CHECKSUM_RC = 1;
export const CHECKSUM_CC = 2;
export const CHECKSUM_DS = 3;

export const COUNTER_NONE = 0;
export const COUNTER_NO_CHECK = 1;
export const COUNTER_HIGHER = 2;
export const COUNTER_ONE_HIGHER = 3;

export const POR_NONE = 0;
export const POR_ALWAYS = 1;
export const POR_ON_ERROR = 2;

/** Algorithm nibble of KIc/KID for AES (b2b1 = 10). */
export const KEY_ALGO_AES = 0x2;

/** The decoded SPI. Reused: decodeSpi overwrites every field. */
export class Spi {
  checksum = CHECKSUM_NONE;
  ciphered = false;
  counter = COUNTER_NONE;
  por = POR_NONE;
  porChecksum = CHECKSUM_NONE;
  porCiphered = false;
  porInSubmit = false;
}

export function decodeSpi(b1: number, b2: number, out: Spi): Spi {
  out.checksum = b1 & 0x03;
  out.ciphered = (b1 & 0x04) !== 0;
  out.counter = shr(b1, 3) & 0x03;
  out.por = b2 & 0x03;
  out.porChecksum = shr(b2, 2) & 0x03;
  out.porCiphered = (b2 & 0x10) !== 0;
  out.porInSubmit = (b2 & 0x20) !== 0;
  return out;
}

export function encodeSpi(spi: Spi, out: Uint8Array, off: number): void {
  out[off] = ((spi.checksum & 0x03) | (spi.ciphered ? 0x04 : 0) | ((spi.counter & 0x03) << 3)) & 0xff;
  out[off + 1] =
    ((spi.por & 0x03) | ((spi.porChecksum & 0x03) << 2) | (spi.porCiphered ? 0x10 : 0) | (spi.porInSubmit ? 0x20 : 0)) &
    0xff;
}

/** True when the reserved bits of either octet are set (b8..b6 of octet 1, b8b7 of octet 2, PoR 11). */
export function spiHasReservedBits(b1: number, b2: number): boolean {
  return (b1 & 0xe0) !== 0 || (b2 & 0xc0) !== 0 || (b2 & 0x03) === 0x03;
}

/** KIc/KID octet from a key index (1..15) and algorithm nibble. */
export function keyIdentifier(keyIndex: number, algorithm: number): number {
  return ((keyIndex & 0x0f) << 4) | (algorithm & 0x0f);
}

export function keyIndexOf(kiOctet: number): number {
  return shr(kiOctet, 4) & 0x0f;
}

export function keyAlgorithmOf(kiOctet: number): number {
  return kiOctet & 0x0f;
}
