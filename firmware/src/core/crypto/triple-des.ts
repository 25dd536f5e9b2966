/**
 * Triple DES EDE (NIST SP 800-67 §3) over any single-DES BlockCipher: the portable SoftDes
 * (des.ts) or a board's own. 16-byte keys are K1||K2 with K3 = K1, and K1's key schedule then
 * serves the third step too; 24-byte keys are K1||K2||K3. An engine made for two-key keys only
 * has no third single-DES engine (on a board one engine and its schedule are ~17 JsVars).
 */
import { BlockCipher, assertRange } from './block-cipher';

const BLOCK = 8;

export class TripleDes implements BlockCipher {
  readonly blockSize = BLOCK;
  protected readonly k1: BlockCipher;
  protected readonly k2: BlockCipher;
  /** The third key's engine; null for an engine made for two-key keys only. */
  protected readonly k3: BlockCipher | null;
  /** The engine of the third step: k1 for two-key, k3 for three-key Triple DES (a board's subclass reads them). */
  protected last: BlockCipher;

  /** makeDes: a fresh single-DES engine (called three times, twice when twoKeyOnly: 16-byte keys only). */
  constructor(makeDes: () => BlockCipher, twoKeyOnly: boolean) {
    this.k1 = makeDes();
    this.k2 = makeDes();
    this.k3 = twoKeyOnly ? null : makeDes();
    this.last = this.k1;
  }

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 16 && (len !== 24 || this.k3 === null)) throw new Error(`3DES key: expected ${this.k3 === null ? '16' : '16 or 24'} bytes, got ${len}`);
    assertRange('3DES key', key, off, len);
    this.k1.setKey(key, off, 8);
    this.k2.setKey(key, off + 8, 8);
    if (len === 24 && this.k3 !== null) {
      this.k3.setKey(key, off + 16, 8);
      this.last = this.k3;
    } else {
      if (this.k3 !== null) this.k3.wipe();
      this.last = this.k1;
    }
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.k1.encryptBlock(src, srcOff, dst, dstOff);
    this.k2.decryptBlock(dst, dstOff, dst, dstOff);
    this.last.encryptBlock(dst, dstOff, dst, dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.last.decryptBlock(src, srcOff, dst, dstOff);
    this.k2.encryptBlock(dst, dstOff, dst, dstOff);
    this.k1.decryptBlock(dst, dstOff, dst, dstOff);
  }

  wipe(): void {
    this.k1.wipe();
    this.k2.wipe();
    if (this.k3 !== null) this.k3.wipe();
  }
}
