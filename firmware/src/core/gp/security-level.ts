/**
 * SCP03 security levels: the P1 of EXTERNAL AUTHENTICATE (GP Amendment D v1.1.1 Table 7-3).
 *
 *   b6 R-ENCRYPTION | b5 R-MAC | b2 C-DECRYPTION | b1 C-MAC
 *
 * Only the five combinations the table lists are valid; tapcard always requires C-MAC, so "no
 * secure messaging" (00) is not a level a session can be opened with.
 */

export const SL_CMAC = 0x01;
export const SL_CDEC_CMAC = 0x03;
export const SL_CMAC_RMAC = 0x11;
export const SL_CDEC_CMAC_RMAC = 0x13;
export const SL_CDEC_RENC_CMAC_RMAC = 0x33;

const BIT_CMAC = 0x01;
const BIT_CDEC = 0x02;
const BIT_RMAC = 0x10;
const BIT_RENC = 0x20;

export function isSecurityLevel(sl: number): boolean {
  return (
    sl === SL_CMAC || sl === SL_CDEC_CMAC || sl === SL_CMAC_RMAC || sl === SL_CDEC_CMAC_RMAC || sl === SL_CDEC_RENC_CMAC_RMAC
  );
}

export function hasCMac(sl: number): boolean {
  return (sl & BIT_CMAC) !== 0;
}

export function hasCDec(sl: number): boolean {
  return (sl & BIT_CDEC) !== 0;
}

export function hasRMac(sl: number): boolean {
  return (sl & BIT_RMAC) !== 0;
}

export function hasREnc(sl: number): boolean {
  return (sl & BIT_RENC) !== 0;
}

/*
 * The "i" parameter of the key information (AmdD Table 5-1):
 *   b1 S16 mode (AmdD v1.2) | b5 pseudo-random card challenge | b7b6 00 no R-MAC, 01 R-MAC, 11 R-MAC + R-ENC
 */
export const I_S16_MODE = 0x01;
export const I_PSEUDO_RANDOM_CHALLENGE = 0x10;
const I_RMAC = 0x20;
const I_RENC = 0x40;

/** Whether a card announcing parameter i supports the response protection the level asks for. */
export function cardSupportsLevel(i: number, sl: number): boolean {
  if (hasRMac(sl) && (i & I_RMAC) === 0) return false;
  if (hasREnc(sl) && (i & I_RENC) === 0) return false;
  return true;
}
