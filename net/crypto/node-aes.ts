/**
 * AES of the Node shells: the portable core's BlockCipher seam (core/crypto/block-cipher.ts) on
 * node:crypto (OpenSSL, AES-NI where the CPU has it), so link packets (TS 102 225 §5.1.2-§5.1.3),
 * SCP03 host sessions (GP Amendment D §6) and key diversification on the platform, and the host
 * terminal's MCU (its link key set and management sessions, where the board uses Espruino's native
 * AES, board/espruino/espruino-aes.ts) do not run the table-free SoftAes the board's SE core needs.
 * Modes, CMAC and the SCP03 KDF stay in the core on top of this.
 *
 * Creating an OpenSSL context expands the key and costs about as much as several SoftAes blocks, so
 * the contexts are made once per key, on first use, and reused, and a key that only encrypts (a
 * CMAC key: subkeys, absorbed blocks and the last block) gets one context, not two:
 * - a CBC encrypt context for everything that encrypts: cbcMac, cbcEncrypt and single blocks.
 *   OpenSSL keeps its chaining value (the last ciphertext block) between calls, so a call under
 *   another IV feeds its first block XORed with the IV and that chaining value:
 *   E(P1 xor IV xor last xor last) = E(P1 xor IV); the other blocks chain as usual. A single block
 *   is the same with a zero IV: E(P xor last xor last) = E(P), the ECB encryption of SP 800-38A §6.1;
 * - an ECB decrypt context for single blocks and cbcDecrypt (one ECB decryption of all blocks, then
 *   the XOR with the previous ciphertext of SP 800-38A §6.2).
 * The input of an encryption is staged in one module scratch buffer (grown to the longest input
 * seen), so a call allocates only the output OpenSSL returns.
 * wipe() zeroes the key copy and drops the contexts; OpenSSL frees their key schedules when they
 * are collected.
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { assertRange, type BlockCipher } from '../../firmware/src/core/crypto/block-cipher';

const BLOCK = 16;
const ZERO_IV = Buffer.alloc(BLOCK);
/**
 * The staged input of an encryption (first block pre-XORed; see the header), shared by every
 * cipher: calls are synchronous and never re-entered, and it is zeroed after each.
 */
let scratch = Buffer.alloc(2 * BLOCK);
/** The same for one block. */
const oneBlock = Buffer.alloc(BLOCK);

export class NodeAes implements BlockCipher {
  readonly blockSize = BLOCK;
  private key: Buffer | null = null;
  private ecbDecrypt: Decipher | null = null;
  private cbc: Cipher | null = null;
  /** The CBC context's chaining value: its last output block (zero IV at creation). */
  private readonly cbcChain = Buffer.alloc(BLOCK);

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 16 && len !== 24 && len !== 32) throw new Error(`AES key: expected 16, 24 or 32 bytes, got ${len}`);
    assertRange('AES key', key, off, len);
    this.wipe();
    this.key = Buffer.from(key.subarray(off, off + len));
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    checkBlocks(src, srcOff, BLOCK, dst, dstOff, BLOCK);
    const out = this.chainedEncrypt(ZERO_IV, 0, src, srcOff, BLOCK);
    dst.set(out, dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    checkBlocks(src, srcOff, BLOCK, dst, dstOff, BLOCK);
    dst.set(this.decryptor().update(src.subarray(srcOff, srcOff + BLOCK)), dstOff);
  }

  cbcMac(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): void {
    checkBlocks(src, srcOff, len, iv, ivOff, BLOCK);
    this.chainedEncrypt(iv, ivOff, src, srcOff, len);
    iv.set(this.cbcChain, ivOff);
  }

  cbcEncrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    checkBlocks(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, BLOCK);
    dst.set(this.chainedEncrypt(iv, ivOff, src, srcOff, len), dstOff);
  }

  cbcDecrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    checkBlocks(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, BLOCK);
    const plain = this.decryptor().update(src.subarray(srcOff, srcOff + len));
    // Last block first, so that in place the previous ciphertext block is still intact when used.
    for (let i = len - BLOCK; i >= 0; i -= BLOCK) {
      const prev = i === 0 ? iv : src;
      const prevOff = i === 0 ? ivOff : srcOff + i - BLOCK;
      for (let j = 0; j < BLOCK; j++) dst[dstOff + i + j] = plain[i + j] ^ prev[prevOff + j];
    }
    plain.fill(0);
  }

  wipe(): void {
    this.key?.fill(0);
    this.key = null;
    this.ecbDecrypt = null;
    this.cbc = null;
    this.cbcChain.fill(0);
  }

  private keyOrThrow(): Buffer {
    if (this.key === null) throw new Error('AES: no key set');
    return this.key;
  }

  private algorithm(mode: string): string {
    return `aes-${this.keyOrThrow().length * 8}-${mode}`;
  }

  private decryptor(): Decipher {
    if (this.ecbDecrypt === null) this.ecbDecrypt = unpadded(createDecipheriv(this.algorithm('ecb'), this.keyOrThrow(), null));
    return this.ecbDecrypt;
  }

  /**
   * CBC encryption of src[srcOff..+len) under iv in one call on the kept context (see the header):
   * the first block goes in XORed with the IV and the context's chaining value. Returns OpenSSL's
   * output (len bytes); the chaining value is its last block.
   */
  private chainedEncrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): Buffer {
    if (this.cbc === null) {
      this.cbc = unpadded(createCipheriv(this.algorithm('cbc'), this.keyOrThrow(), ZERO_IV));
      this.cbcChain.fill(0);
    }
    if (scratch.length < len) scratch = Buffer.alloc(len);
    const input = len === BLOCK ? oneBlock : len === scratch.length ? scratch : scratch.subarray(0, len);
    const chain = this.cbcChain;
    for (let i = 0; i < BLOCK; i++) input[i] = src[srcOff + i] ^ iv[ivOff + i] ^ chain[i];
    if (len > BLOCK) input.set(src.subarray(srcOff + BLOCK, srcOff + len), BLOCK);
    const out = this.cbc.update(input);
    // Loops, not fill/copy: for a block or two they cost less than a call into Node's C++.
    for (let i = 0; i < len; i++) input[i] = 0;
    const last = len - BLOCK;
    for (let i = 0; i < BLOCK; i++) chain[i] = out[last + i];
    return out;
  }
}

/** Whole blocks only (the seam's contract), so OpenSSL returns each call's output at once. */
function unpadded<T extends Cipher | Decipher>(c: T): T {
  c.setAutoPadding(false);
  return c;
}

function checkBlocks(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number, outLen: number): void {
  if (len <= 0 || len % BLOCK !== 0) throw new Error(`AES: expected whole 16-byte blocks, got ${len} bytes`);
  assertRange('AES input', src, srcOff, len);
  assertRange('AES output', dst, dstOff, outLen);
}
