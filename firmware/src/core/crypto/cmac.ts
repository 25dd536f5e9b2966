/**
 * AES-CMAC (RFC 4493; NIST SP 800-38B) over any keyed 16-byte-block BlockCipher, so a board's
 * native AES serves as well as SoftAes. Streaming, so SCP03 can MAC chaining value || header ||
 * data (AmdD §6.2.3-§6.2.4) straight from the APDU buffer without concatenating.
 */
import { shr } from '../bits';
import { copy, fill } from '../bytes';
import { BlockCipher, assertRange } from './block-cipher';

const BLOCK = 16;
/** R_128 = 0^120 || 10000111 (RFC 4493 §2.3 const_Rb). */
const RB = 0x87;

function checkCipher(cipher: BlockCipher): void {
  if (cipher.blockSize !== BLOCK) throw new Error(`CMAC: expected a 16-byte-block cipher, got ${cipher.blockSize}`);
}

/** buf[0..16) = buf << 1, XOR const_Rb when the top bit falls out (RFC 4493 §2.3). */
function doubleInPlace(buf: Uint8Array): void {
  const carry = shr(buf[0], 7);
  for (let i = 0; i < BLOCK - 1; i++) buf[i] = ((buf[i] << 1) | shr(buf[i + 1], 7)) & 0xff;
  buf[BLOCK - 1] = ((buf[BLOCK - 1] << 1) ^ (carry !== 0 ? RB : 0)) & 0xff;
}

/** Generate_Subkey (RFC 4493 §2.3): L = E(0^128), K1 = dbl(L), K2 = dbl(K1); 16 bytes each. */
export function generateSubkeys(cipher: BlockCipher, k1: Uint8Array, k2: Uint8Array): void {
  checkCipher(cipher);
  assertRange('CMAC K1', k1, 0, BLOCK);
  assertRange('CMAC K2', k2, 0, BLOCK);
  fill(k1, 0, BLOCK, 0);
  cipher.encryptBlock(k1, 0, k1, 0);
  doubleInPlace(k1);
  copy(k1, 0, k2, 0, BLOCK);
  doubleInPlace(k2);
}

export class Cmac {
  /** MAC length in bytes. */
  readonly size = BLOCK;
  readonly cipher: BlockCipher;
  private readonly k1 = new Uint8Array(BLOCK);
  private readonly k2 = new Uint8Array(BLOCK);
  /** Running CBC value X of RFC 4493 §2.4. */
  private readonly x = new Uint8Array(BLOCK);
  /** Bytes not yet absorbed; a full block is held back until more data or finish(). */
  private readonly pending = new Uint8Array(BLOCK);
  private pendingLen = 0;
  private started = false;
  /** k1/k2 belong to the cipher's key since the last start() (cleared by wipe()). */
  private subkeysValid = false;

  constructor(cipher: BlockCipher) {
    checkCipher(cipher);
    this.cipher = cipher;
  }

  /**
   * Begins a MAC under the cipher's current key. Subkeys are derived here, not in the
   * constructor, so a cipher re-keyed between MACs (the SCP03 KDF) is always honoured.
   */
  start(): void {
    generateSubkeys(this.cipher, this.k1, this.k2);
    this.subkeysValid = true;
    this.begin();
  }

  /**
   * Begins a MAC under the same key as the last start(), keeping its subkeys (one AES block and
   * two doublings less per MAC: SCP03 MACs every command of a session under one S-MAC). Only for
   * a cipher that has not been re-keyed since; after wipe() the subkeys are derived again.
   */
  startSameKey(): void {
    if (!this.subkeysValid) {
      generateSubkeys(this.cipher, this.k1, this.k2);
      this.subkeysValid = true;
    }
    this.begin();
  }

  update(data: Uint8Array, off: number, len: number): void {
    if (!this.started) throw new Error('CMAC: update() before start()');
    assertRange('CMAC data', data, off, len);
    // The last block gets the subkey treatment, so a full block is absorbed only once more follows.
    let at = off;
    let left = len;
    while (left > 0) {
      if (this.pendingLen === BLOCK) this.absorbPending();
      if (this.pendingLen === 0 && left > BLOCK) {
        // Whole blocks straight from the data, all but the last.
        const n = (left - 1) - ((left - 1) % BLOCK);
        this.absorb(data, at, n);
        at += n;
        left -= n;
      }
      const take = left < BLOCK - this.pendingLen ? left : BLOCK - this.pendingLen;
      copy(data, at, this.pending, this.pendingLen, take);
      this.pendingLen += take;
      at += take;
      left -= take;
    }
  }

  /** Writes the full 16-byte MAC to out[outOff..] and ends the MAC; start() begins the next. */
  finish(out: Uint8Array, outOff: number): void {
    if (!this.started) throw new Error('CMAC: finish() before start()');
    assertRange('CMAC output', out, outOff, BLOCK);
    const p = this.pending;
    let subkey = this.k1;
    if (this.pendingLen !== BLOCK) {
      // Incomplete (or empty) last block: pad 80 00.. and use K2 (RFC 4493 §2.4 step 4).
      p[this.pendingLen] = 0x80;
      fill(p, this.pendingLen + 1, BLOCK - this.pendingLen - 1, 0);
      subkey = this.k2;
    }
    for (let i = 0; i < BLOCK; i++) this.x[i] = this.x[i] ^ p[i] ^ subkey[i];
    this.cipher.encryptBlock(this.x, 0, out, outOff);
    this.clearState();
  }

  /** Zeroes subkeys and scratch (the subkeys are key-derived). */
  wipe(): void {
    fill(this.k1, 0, BLOCK, 0);
    fill(this.k2, 0, BLOCK, 0);
    this.subkeysValid = false;
    this.clearState();
  }

  private begin(): void {
    fill(this.x, 0, BLOCK, 0);
    this.pendingLen = 0;
    this.started = true;
  }

  private absorbPending(): void {
    this.absorb(this.pending, 0, BLOCK);
    this.pendingLen = 0;
  }

  /** X = CBC-MAC step over whole blocks data[off..+len). */
  private absorb(data: Uint8Array, off: number, len: number): void {
    const c = this.cipher;
    if (c.cbcMac !== undefined) {
      c.cbcMac(this.x, 0, data, off, len);
      return;
    }
    for (let b = off; b < off + len; b += BLOCK) {
      for (let i = 0; i < BLOCK; i++) this.x[i] = this.x[i] ^ data[b + i];
      c.encryptBlock(this.x, 0, this.x, 0);
    }
  }

  private clearState(): void {
    fill(this.x, 0, BLOCK, 0);
    fill(this.pending, 0, BLOCK, 0);
    this.pendingLen = 0;
    this.started = false;
  }
}

let oneShot: Cmac | null = null;

/**
 * One-shot CMAC of data[off .. off+len) into out[outOff .. outOff+16). Reuses one Cmac
 * while the same cipher object is passed, so repeated calls do not allocate; subkeys are wiped
 * after each call.
 */
export function cmac(cipher: BlockCipher, data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
  assertRange('CMAC data', data, off, len);
  assertRange('CMAC output', out, outOff, BLOCK);
  if (oneShot === null || oneShot.cipher !== cipher) oneShot = new Cmac(cipher);
  const mac = oneShot;
  mac.start();
  mac.update(data, off, len);
  mac.finish(out, outOff);
  mac.wipe();
}
