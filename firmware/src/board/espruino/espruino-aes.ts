/**
 * BlockCipher (core/crypto/block-cipher.ts) on Espruino's native AES: require('crypto').AES in ECB
 * mode, one 16-byte block per call (runtimes.md §1 crypto: ECB handles whole blocks only). Modes,
 * CMAC and the SCP03 KDF stay in the portable core on top of this seam.
 *
 * Espruino expands the key on every call and returns a new ArrayBuffer; the key is kept in a
 * private buffer and wiped by wipe().
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
  private readonly keyBytes = new Uint8Array(32);
  /** Views of keyBytes of the three AES key lengths, made once. */
  private readonly keyViews: Uint8Array[];
  private key: Uint8Array | null = null;
  private readonly block = new Uint8Array(BLOCK);

  constructor(aes: EspruinoAes) {
    this.aes = aes;
    this.keyViews = [this.keyBytes.subarray(0, 16), this.keyBytes.subarray(0, 24), this.keyBytes];
  }

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 16 && len !== 24 && len !== 32) throw new Error('AES key: expected 16, 24 or 32 bytes, got ' + len);
    assertRange('AES key', key, off, len);
    wipe(this.keyBytes);
    copy(key, off, this.keyBytes, 0, len);
    this.key = this.keyViews[(len - 16) / 8];
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.run(true, src, srcOff, dst, dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.run(false, src, srcOff, dst, dstOff);
  }

  wipe(): void {
    wipe(this.keyBytes);
    wipe(this.block);
    this.key = null;
  }

  private run(encrypt: boolean, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const key = this.key;
    if (key === null) throw new Error('AES: no key set');
    assertRange('AES input', src, srcOff, BLOCK);
    assertRange('AES output', dst, dstOff, BLOCK);
    copy(src, srcOff, this.block, 0, BLOCK);
    const out = encrypt ? this.aes.encrypt(this.block, key, ECB) : this.aes.decrypt(this.block, key, ECB);
    const bytes = new Uint8Array(out);
    copy(bytes, 0, dst, dstOff, BLOCK);
  }
}
