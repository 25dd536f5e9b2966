/**
 * ECB and CBC modes (NIST SP 800-38A §6.1, §6.2) over any BlockCipher. No padding here (see
 * padding.ts); len must be a multiple of the block size. The IV is read, never updated.
 */
import { BlockCipher, assertRange } from './block-cipher';

function checkRanges(c: BlockCipher, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
  if (len % c.blockSize !== 0) {
    throw new Error(`block mode: expected a multiple of ${c.blockSize} bytes, got ${len}`);
  }
  assertRange('block mode input', src, srcOff, len);
  assertRange('block mode output', dst, dstOff, len);
}

export function ecbEncrypt(c: BlockCipher, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
  checkRanges(c, src, srcOff, len, dst, dstOff);
  for (let i = 0; i < len; i += c.blockSize) c.encryptBlock(src, srcOff + i, dst, dstOff + i);
}

export function ecbDecrypt(c: BlockCipher, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
  checkRanges(c, src, srcOff, len, dst, dstOff);
  for (let i = 0; i < len; i += c.blockSize) c.decryptBlock(src, srcOff + i, dst, dstOff + i);
}

/** C_i = E(P_i xor C_{i-1}), C_0 = IV. dst may be the same range as src. */
export function cbcEncrypt(
  c: BlockCipher,
  iv: Uint8Array,
  ivOff: number,
  src: Uint8Array,
  srcOff: number,
  len: number,
  dst: Uint8Array,
  dstOff: number,
): void {
  const bs = c.blockSize;
  checkRanges(c, src, srcOff, len, dst, dstOff);
  assertRange('CBC IV', iv, ivOff, bs);
  if (c.cbcEncrypt !== undefined && len > 0) {
    c.cbcEncrypt(iv, ivOff, src, srcOff, len, dst, dstOff);
    return;
  }
  let chain = iv;
  let chainOff = ivOff;
  for (let i = 0; i < len; i += bs) {
    const at = dstOff + i;
    for (let j = 0; j < bs; j++) dst[at + j] = src[srcOff + i + j] ^ chain[chainOff + j];
    c.encryptBlock(dst, at, dst, at);
    chain = dst;
    chainOff = at;
  }
}

/**
 * P_i = D(C_i) xor C_{i-1}. Runs from the last block to the first, so an in-place call still finds
 * C_{i-1} intact without a scratch copy.
 */
export function cbcDecrypt(
  c: BlockCipher,
  iv: Uint8Array,
  ivOff: number,
  src: Uint8Array,
  srcOff: number,
  len: number,
  dst: Uint8Array,
  dstOff: number,
): void {
  const bs = c.blockSize;
  checkRanges(c, src, srcOff, len, dst, dstOff);
  assertRange('CBC IV', iv, ivOff, bs);
  if (c.cbcDecrypt !== undefined && len > 0) {
    c.cbcDecrypt(iv, ivOff, src, srcOff, len, dst, dstOff);
    return;
  }
  for (let i = len - bs; i >= 0; i -= bs) {
    const at = dstOff + i;
    c.decryptBlock(src, srcOff + i, dst, at);
    const prev = i === 0 ? iv : src;
    const prevOff = i === 0 ? ivOff : srcOff + i - bs;
    for (let j = 0; j < bs; j++) dst[at + j] = dst[at + j] ^ prev[prevOff + j];
  }
}
