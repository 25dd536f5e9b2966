/**
 * AES for the host terminal (its MCU, and the SEs of the platform bench's fleet): the core's
 * BlockCipher seam (core/crypto/block-cipher.ts) on @noble/ciphers' AES (audited, FIPS-197 on
 * 32-bit lookup tables), driven through its low-level round functions (`unsafe`: expandKeyLE,
 * expandKeyDecLE, encrypt, decrypt) so that a block costs no view or buffer. The board runs the
 * core's table-free SoftAes (its SE) and Espruino's native AES (its MCU); the platform runs NodeAes.
 *
 * Why not node:crypto here: a terminal's calls are a few blocks under short-lived keys (an SCP03
 * session's three keys, a link packet), where OpenSSL's per-call cost and a context per key weigh
 * more than the blocks. Table lookups indexed by key- and data-dependent bytes are not
 * constant-time (cache timing, Bernstein 2005): fit for simulated terminals, not for the platform,
 * which holds every device's keys and stays on node:crypto.
 *
 * noble's state words are the block's bytes read little-endian, four to a word.
 */
import { unsafe } from '@noble/ciphers/aes.js';
import { assertRange, type BlockCipher } from '../../firmware/src/core/crypto/block-cipher';

const BLOCK = 16;

function word(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
}

function putWord(b: Uint8Array, off: number, w: number): void {
  b[off] = w & 255;
  b[off + 1] = (w >>> 8) & 255;
  b[off + 2] = (w >>> 16) & 255;
  b[off + 3] = w >>> 24;
}

/** noble's encrypt or decrypt of one block under the schedule xk, src[srcOff..] to dst[dstOff..]. */
function oneBlock(round: typeof unsafe.encrypt, xk: Uint32Array, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  const s = round(xk, word(src, srcOff), word(src, srcOff + 4), word(src, srcOff + 8), word(src, srcOff + 12));
  putWord(dst, dstOff, s.s0);
  putWord(dst, dstOff + 4, s.s1);
  putWord(dst, dstOff + 8, s.s2);
  putWord(dst, dstOff + 12, s.s3);
}

export class NobleAes implements BlockCipher {
  readonly blockSize = BLOCK;
  /** The key, kept for the decryption schedule, which is made on the first decryption after setKey. */
  private key: Uint8Array | null = null;
  private enc: Uint32Array | null = null;
  private dec: Uint32Array | null = null;

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 16 && len !== 24 && len !== 32) throw new Error(`AES key: expected 16, 24 or 32 bytes, got ${len}`);
    assertRange('AES key', key, off, len);
    this.wipe();
    const copy = key.slice(off, off + len);
    this.key = copy;
    this.enc = unsafe.expandKeyLE(copy);
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    oneBlock(unsafe.encrypt, this.encryption(src, srcOff, BLOCK, dst, dstOff, BLOCK), src, srcOff, dst, dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    oneBlock(unsafe.decrypt, this.decryption(src, srcOff, BLOCK, dst, dstOff, BLOCK), src, srcOff, dst, dstOff);
  }

  cbcMac(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): void {
    this.chain(this.encryption(src, srcOff, len, iv, ivOff, BLOCK), iv, ivOff, src, srcOff, len, iv, ivOff, 0);
  }

  cbcEncrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    const xk = this.encryption(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, BLOCK);
    this.chain(xk, iv, ivOff, src, srcOff, len, dst, dstOff, BLOCK);
  }

  /**
   * C_i = E(P_i xor C_{i-1}), C_0 the IV (SP 800-38A §6.2): each C_i to dst[dstOff + i * step], so a
   * step of 0 (CBC-MAC) leaves only the last block there.
   */
  private chain(xk: Uint32Array, iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number, step: number): void {
    let s0 = word(iv, ivOff);
    let s1 = word(iv, ivOff + 4);
    let s2 = word(iv, ivOff + 8);
    let s3 = word(iv, ivOff + 12);
    for (let i = 0, out = dstOff; i < len; i += BLOCK, out += step) {
      const at = srcOff + i;
      const s = unsafe.encrypt(xk, s0 ^ word(src, at), s1 ^ word(src, at + 4), s2 ^ word(src, at + 8), s3 ^ word(src, at + 12));
      s0 = s.s0;
      s1 = s.s1;
      s2 = s.s2;
      s3 = s.s3;
      putWord(dst, out, s0);
      putWord(dst, out + 4, s1);
      putWord(dst, out + 8, s2);
      putWord(dst, out + 12, s3);
    }
  }

  /** P_i = D(C_i) xor C_{i-1} (SP 800-38A §6.2), C_i read before P_i is written, so dst may be src. */
  cbcDecrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    const xk = this.decryption(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, BLOCK);
    let p0 = word(iv, ivOff);
    let p1 = word(iv, ivOff + 4);
    let p2 = word(iv, ivOff + 8);
    let p3 = word(iv, ivOff + 12);
    for (let i = 0; i < len; i += BLOCK) {
      const at = srcOff + i;
      const c0 = word(src, at);
      const c1 = word(src, at + 4);
      const c2 = word(src, at + 8);
      const c3 = word(src, at + 12);
      const s = unsafe.decrypt(xk, c0, c1, c2, c3);
      const out = dstOff + i;
      putWord(dst, out, s.s0 ^ p0);
      putWord(dst, out + 4, s.s1 ^ p1);
      putWord(dst, out + 8, s.s2 ^ p2);
      putWord(dst, out + 12, s.s3 ^ p3);
      p0 = c0;
      p1 = c1;
      p2 = c2;
      p3 = c3;
    }
  }

  wipe(): void {
    this.key?.fill(0);
    this.enc?.fill(0);
    this.dec?.fill(0);
    this.key = null;
    this.enc = null;
    this.dec = null;
  }

  private encryption(src: Uint8Array, srcOff: number, srcLen: number, dst: Uint8Array, dstOff: number, dstLen: number): Uint32Array {
    if (this.enc === null) throw new Error('AES: no key set');
    checkBlocks(src, srcOff, srcLen, dst, dstOff, dstLen);
    return this.enc;
  }

  private decryption(src: Uint8Array, srcOff: number, srcLen: number, dst: Uint8Array, dstOff: number, dstLen: number): Uint32Array {
    if (this.key === null) throw new Error('AES: no key set');
    checkBlocks(src, srcOff, srcLen, dst, dstOff, dstLen);
    if (this.dec === null) this.dec = unsafe.expandKeyDecLE(this.key);
    return this.dec;
  }
}

function checkBlocks(src: Uint8Array, srcOff: number, srcLen: number, dst: Uint8Array, dstOff: number, dstLen: number): void {
  if (srcLen <= 0 || srcLen % BLOCK !== 0) throw new Error(`AES: expected whole 16-byte blocks, got ${srcLen} bytes`);
  assertRange('AES input', src, srcOff, srcLen);
  assertRange('AES output', dst, dstOff, dstLen);
}
