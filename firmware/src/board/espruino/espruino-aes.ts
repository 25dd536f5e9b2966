/**
 * BlockCipher (core/crypto/block-cipher.ts) on Espruino's native AES: require('crypto').AES in ECB
 * mode for one block, and in CBC mode for the seam's bulk calls (libs/crypto/jswrap_crypto.c,
 * mbedtls_aes_crypt_cbc with the options' iv): CMAC over a LOAD block and its C-DEC decryption are
 * one native call each instead of a JavaScript step per block. Modes, CMAC and the SCP03 KDF stay
 * in the portable core on top of this seam.
 *
 * Espruino expands the key on every call and returns a new ArrayBuffer (dropped at once); the key
 * is kept in a private buffer as long as the key and wiped by wipe(). The buffer is made again only
 * when a key of another length comes (every key the firmware sets is AES-128 today, so once): one
 * buffer and no views of it, ~8 JsVars less an engine than a 32-byte buffer with a view per length.
 */
import type { BlockCipher } from '../../core/crypto/block-cipher';
import { assertRange } from '../../core/crypto/block-cipher';
import { copy, wipe } from '../../core/bytes';
import type { EspruinoAes } from './espruino-api';

const BLOCK = 16;
const ECB = { mode: 'ECB' };

export class EspruinoAesCipher implements BlockCipher {
  readonly blockSize = BLOCK;
  private readonly aes: EspruinoAes;
  /** The key, exactly as long as the last one set. */
  private keyBytes = new Uint8Array(16);
  private keyed = false;

  constructor(aes: EspruinoAes) {
    this.aes = aes;
  }

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 16 && len !== 24 && len !== 32) throw new Error('AES key: expected 16, 24 or 32 bytes, got ' + len);
    assertRange('AES key', key, off, len);
    if (len !== this.keyBytes.length) {
      wipe(this.keyBytes);
      this.keyBytes = new Uint8Array(len);
    }
    copy(key, off, this.keyBytes, 0, len);
    this.keyed = true;
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    dst.set(new Uint8Array(this.aes.encrypt(this.input(src, srcOff, BLOCK, dst, dstOff, BLOCK), this.keyOrThrow(), ECB)), dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    dst.set(new Uint8Array(this.aes.decrypt(this.input(src, srcOff, BLOCK, dst, dstOff, BLOCK), this.keyOrThrow(), ECB)), dstOff);
  }

  cbcMac(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): void {
    const out = this.aes.encrypt(this.input(src, srcOff, len, iv, ivOff, BLOCK), this.keyOrThrow(), { mode: 'CBC', iv: iv.subarray(ivOff, ivOff + BLOCK) });
    iv.set(new Uint8Array(out, len - BLOCK, BLOCK), ivOff);
  }

  cbcDecrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    const out = this.aes.decrypt(this.input(src, srcOff, len, dst, dstOff, len), this.keyOrThrow(), { mode: 'CBC', iv: iv.subarray(ivOff, ivOff + BLOCK) });
    dst.set(new Uint8Array(out), dstOff);
  }

  wipe(): void {
    wipe(this.keyBytes);
    this.keyed = false;
  }

  private keyOrThrow(): Uint8Array {
    if (!this.keyed) throw new Error('AES: no key set');
    return this.keyBytes;
  }

  /**
   * A view of src[srcOff..+len) after checking it and dst[dstOff..+outLen) lie inside their
   * buffers; len is whole blocks (the seam's contract: cbc.ts and cmac.ts pass nothing else).
   */
  private input(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number, outLen: number): Uint8Array {
    assertRange('AES input', src, srcOff, len);
    assertRange('AES output', dst, dstOff, outLen);
    return src.subarray(srcOff, srcOff + len);
  }
}
