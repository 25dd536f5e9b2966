/**
 * CMAC (NIST SP 800-38B; AES-CMAC is RFC 4493) over any keyed BlockCipher with 8- or 16-byte
 * blocks. Streaming, so SCP03 can MAC chaining value || header || data (cards.md §2.2) straight
 * from the APDU buffer without concatenating.
 */
import { shr } from '../bits';
import { copy, fill } from '../bytes';
import { BlockCipher, assertRange } from './block-cipher';

/** R_b of SP 800-38B §5.3: the low byte of the reduction constant for the block size. */
function reductionByte(blockSize: number): number {
  if (blockSize === 16) return 0x87;
  if (blockSize === 8) return 0x1b;
  throw new Error(`CMAC: expected a cipher with 8- or 16-byte blocks, got ${blockSize}`);
}

/** buf[0..n) = buf[0..n) << 1, reduced by R_b when the top bit falls out (SP 800-38B §6.1). */
function doubleInPlace(buf: Uint8Array, n: number, rb: number): void {
  const carry = shr(buf[0], 7);
  for (let i = 0; i < n - 1; i++) buf[i] = ((buf[i] << 1) | shr(buf[i + 1], 7)) & 0xff;
  buf[n - 1] = ((buf[n - 1] << 1) ^ (carry !== 0 ? rb : 0)) & 0xff;
}

/**
 * Subkey generation (RFC 4493 §2.3, SP 800-38B §6.1): L = E(0), K1 = dbl(L), K2 = dbl(K1).
 * k1 and k2 hold at least blockSize bytes.
 */
export function generateSubkeys(cipher: BlockCipher, k1: Uint8Array, k2: Uint8Array): void {
  const n = cipher.blockSize;
  const rb = reductionByte(n);
  fill(k1, 0, n, 0);
  cipher.encryptBlock(k1, 0, k1, 0);
  doubleInPlace(k1, n, rb);
  copy(k1, 0, k2, 0, n);
  doubleInPlace(k2, n, rb);
}

export class Cmac {
  /** MAC length in bytes (the cipher's block size). */
  readonly size: number;
  readonly cipher: BlockCipher;
  private readonly k1: Uint8Array;
  private readonly k2: Uint8Array;
  /** Running CBC value X of RFC 4493 §2.4. */
  private readonly x: Uint8Array;
  /** Bytes not yet absorbed; a full block is held back until more data or finish(). */
  private readonly pending: Uint8Array;
  private pendingLen = 0;
  private started = false;

  constructor(cipher: BlockCipher) {
    reductionByte(cipher.blockSize);
    this.cipher = cipher;
    this.size = cipher.blockSize;
    this.k1 = new Uint8Array(this.size);
    this.k2 = new Uint8Array(this.size);
    this.x = new Uint8Array(this.size);
    this.pending = new Uint8Array(this.size);
  }

  /**
   * Begins a MAC under the cipher's current key. Subkeys are derived here, not in the
   * constructor, so a cipher re-keyed between MACs (the SCP03 KDF) is always honoured.
   */
  start(): void {
    generateSubkeys(this.cipher, this.k1, this.k2);
    fill(this.x, 0, this.size, 0);
    this.pendingLen = 0;
    this.started = true;
  }

  update(data: Uint8Array, off: number, len: number): void {
    if (!this.started) throw new Error('CMAC: update() before start()');
    assertRange('CMAC data', data, off, len);
    const n = this.size;
    for (let i = 0; i < len; i++) {
      // The last block gets the subkey treatment, so only absorb a full block once more follows.
      if (this.pendingLen === n) this.absorbPending();
      this.pending[this.pendingLen] = data[off + i];
      this.pendingLen++;
    }
  }

  /** Writes the full size-byte MAC to out[outOff..] and ends the MAC; start() begins the next. */
  finish(out: Uint8Array, outOff: number): void {
    if (!this.started) throw new Error('CMAC: finish() before start()');
    assertRange('CMAC output', out, outOff, this.size);
    const n = this.size;
    const p = this.pending;
    let subkey = this.k1;
    if (this.pendingLen !== n) {
      // Incomplete (or empty) last block: pad 80 00.. and use K2 (RFC 4493 §2.4 step 4).
      p[this.pendingLen] = 0x80;
      fill(p, this.pendingLen + 1, n - this.pendingLen - 1, 0);
      subkey = this.k2;
    }
    for (let i = 0; i < n; i++) this.x[i] = this.x[i] ^ p[i] ^ subkey[i];
    this.cipher.encryptBlock(this.x, 0, out, outOff);
    this.clearState();
  }

  /** Zeroes subkeys and scratch (the subkeys are key-derived). */
  wipe(): void {
    fill(this.k1, 0, this.size, 0);
    fill(this.k2, 0, this.size, 0);
    this.clearState();
  }

  private absorbPending(): void {
    for (let i = 0; i < this.size; i++) this.x[i] = this.x[i] ^ this.pending[i];
    this.cipher.encryptBlock(this.x, 0, this.x, 0);
    this.pendingLen = 0;
  }

  private clearState(): void {
    fill(this.x, 0, this.size, 0);
    fill(this.pending, 0, this.size, 0);
    this.pendingLen = 0;
    this.started = false;
  }
}

let oneShot: Cmac | null = null;

/**
 * One-shot CMAC of data[off .. off+len) into out[outOff .. outOff+blockSize). Reuses one Cmac
 * while the same cipher object is passed, so repeated calls do not allocate; subkeys are wiped
 * after each call.
 */
export function cmac(cipher: BlockCipher, data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
  assertRange('CMAC data', data, off, len);
  assertRange('CMAC output', out, outOff, cipher.blockSize);
  if (oneShot === null || oneShot.cipher !== cipher) oneShot = new Cmac(cipher);
  const mac = oneShot;
  mac.start();
  mac.update(data, off, len);
  mac.finish(out, outOff);
  mac.wipe();
}
