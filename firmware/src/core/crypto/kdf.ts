/**
 * SCP03 key derivation (GP Amendment D v1.1.1 §4.1.5): NIST SP 800-108 KDF in counter
 * mode with AES-CMAC as PRF. Derives session keys, cryptograms and pseudo-random card challenges.
 */
import { copy, fill, writeU16 } from '../bytes';
import { assertRange } from './block-cipher';
import { Cmac } from './cmac';

/** Derivation constants (AmdD Table 4-1). */
export const DERIVE_CARD_CRYPTOGRAM = 0x00;
export const DERIVE_HOST_CRYPTOGRAM = 0x01;
export const DERIVE_CARD_CHALLENGE = 0x02;
export const DERIVE_S_ENC = 0x04;
export const DERIVE_S_MAC = 0x06;
export const DERIVE_S_RMAC = 0x07;

const PRF_BLOCK = 16;
/** The iteration counter is one byte, so at most 255 PRF blocks. */
const MAX_LENGTH_BITS = 255 * PRF_BLOCK * 8;

/*
 * Fixed input before the context (AmdD §4.1.5):
 *   0..10  00 x 11 (label)
 *   11     derivation constant
 *   12     00 separation indicator
 *   13..14 L, output length in bits, big-endian
 *   15     counter i, from 01
 */
const LABEL_LEN = 11;
const AT_CONSTANT = 11;
const AT_LENGTH = 13;
const AT_COUNTER = 15;
const FIXED_LEN = 16;

// Module scratch: derivation is synchronous and never re-entered, so one set serves all callers
// without allocating per call (docs/portable-core.md "Buffers").
const fixedInput = new Uint8Array(FIXED_LEN);
const prfOut = new Uint8Array(PRF_BLOCK);

/**
 * Writes lengthBits/8 bytes of KDF output to out[outOff..]. `mac` must wrap an AES cipher keyed
 * with the base key (static K-ENC/K-MAC, or S-MAC for cryptograms); lengthBits is 64 for
 * cryptograms and challenges, the key length in bits for session keys.
 */
export function scp03Derive(
  mac: Cmac,
  constant: number,
  context: Uint8Array,
  ctxOff: number,
  ctxLen: number,
  lengthBits: number,
  out: Uint8Array,
  outOff: number,
): void {
  if (constant < 0 || constant > 0xff) throw new Error(`SCP03 KDF: constant must be one byte, got ${constant}`);
  if (lengthBits <= 0 || lengthBits % 8 !== 0 || lengthBits > MAX_LENGTH_BITS) {
    throw new Error(`SCP03 KDF: expected a length of 8..${MAX_LENGTH_BITS} bits in whole bytes, got ${lengthBits}`);
  }
  const outLen = Math.floor(lengthBits / 8);
  assertRange('SCP03 KDF context', context, ctxOff, ctxLen);
  assertRange('SCP03 KDF output', out, outOff, outLen);
  fill(fixedInput, 0, LABEL_LEN, 0);
  fixedInput[AT_CONSTANT] = constant;
  fixedInput[AT_CONSTANT + 1] = 0x00;
  writeU16(fixedInput, AT_LENGTH, lengthBits);
  let done = 0;
  for (let i = 1; done < outLen; i++) {
    fixedInput[AT_COUNTER] = i;
    mac.start();
    mac.update(fixedInput, 0, FIXED_LEN);
    mac.update(context, ctxOff, ctxLen);
    mac.finish(prfOut, 0);
    const take = outLen - done < PRF_BLOCK ? outLen - done : PRF_BLOCK;
    copy(prfOut, 0, out, outOff + done, take);
    done += take;
  }
  fill(prfOut, 0, PRF_BLOCK, 0);
  mac.wipe();
}
