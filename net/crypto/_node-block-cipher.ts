/**
 * The core's BlockCipher seam (core/crypto/block-cipher.ts) on node:crypto (OpenSSL), shared by the
 * Node shells' AES (node-aes.ts) and DES (node-des.ts): a subclass names its OpenSSL algorithm for
 * a key and checks key lengths; the contexts and the chaining below are the same for both.
 *
 * Creating an OpenSSL context expands the key and costs about as much as several soft blocks, so
 * the contexts are made once per key, on first use, and reused, and a key that only encrypts (a
 * CMAC key: subkeys, absorbed blocks and the last block; a PBOC MAC or diversification key) gets
 * one context, not two:
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

const ZERO_IV = Buffer.alloc(16);
/**
 * The staged input of an encryption (first block pre-XORed; see the header), shared by every
 * cipher: calls are synchronous and never re-entered, and it is zeroed after each.
 */
let scratch = Buffer.alloc(32);
/** The same for one block, by block size (AES 16, DES 8). */
const oneBlocks = new Map<number, Buffer>();

export abstract class NodeBlockCipher implements BlockCipher {
  readonly blockSize: number;
  /** The key as OpenSSL takes it (see keyFor), or null once wiped. */
  private key: Buffer | null = null;
  private ecbDecrypt: Decipher | null = null;
  private cbc: Cipher | null = null;
  /** The CBC context's chaining value: its last output block (zero IV at creation). */
  private readonly cbcChain: Buffer;
  /** The staged input of a single block (see scratch), shared by the ciphers of this block size. */
  private readonly oneBlock: Buffer;
  private readonly zeroIv: Buffer;

  protected constructor(
    blockSize: number,
    /** "AES" or "DES", in error messages. */
    private readonly name: string,
  ) {
    this.blockSize = blockSize;
    this.cbcChain = Buffer.alloc(blockSize);
    let one = oneBlocks.get(blockSize);
    if (one === undefined) oneBlocks.set(blockSize, (one = Buffer.alloc(blockSize)));
    this.oneBlock = one;
    this.zeroIv = ZERO_IV.subarray(0, blockSize);
  }

  /** Throws an Error naming the expected and actual length unless len is a key length of this cipher. */
  protected abstract checkKeyLength(len: number): void;
  /** The key OpenSSL takes for key[off..off+len) (a fresh buffer, wiped by wipe()). */
  protected abstract keyFor(key: Uint8Array, off: number, len: number): Buffer;
  /** The OpenSSL algorithm for a key of `keyLen` bytes (keyFor's) in mode 'cbc' or 'ecb'. */
  protected abstract algorithm(keyLen: number, mode: 'cbc' | 'ecb'): string;

  setKey(key: Uint8Array, off: number, len: number): void {
    this.checkKeyLength(len);
    assertRange(`${this.name} key`, key, off, len);
    this.wipe();
    this.key = this.keyFor(key, off, len);
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const block = this.blockSize;
    this.checkBlocks(src, srcOff, block, dst, dstOff, block);
    const out = this.chainedEncrypt(this.zeroIv, 0, src, srcOff, block);
    dst.set(out, dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const block = this.blockSize;
    this.checkBlocks(src, srcOff, block, dst, dstOff, block);
    dst.set(this.decryptor().update(src.subarray(srcOff, srcOff + block)), dstOff);
  }

  cbcMac(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): void {
    this.checkBlocks(src, srcOff, len, iv, ivOff, this.blockSize);
    this.chainedEncrypt(iv, ivOff, src, srcOff, len);
    iv.set(this.cbcChain, ivOff);
  }

  cbcEncrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    this.checkBlocks(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, this.blockSize);
    dst.set(this.chainedEncrypt(iv, ivOff, src, srcOff, len), dstOff);
  }

  cbcDecrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    const block = this.blockSize;
    this.checkBlocks(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, block);
    const plain = this.decryptor().update(src.subarray(srcOff, srcOff + len));
    // Last block first, so that in place the previous ciphertext block is still intact when used.
    for (let i = len - block; i >= 0; i -= block) {
      const prev = i === 0 ? iv : src;
      const prevOff = i === 0 ? ivOff : srcOff + i - block;
      for (let j = 0; j < block; j++) dst[dstOff + i + j] = plain[i + j] ^ prev[prevOff + j];
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
    if (this.key === null) throw new Error(`${this.name}: no key set`);
    return this.key;
  }

  private decryptor(): Decipher {
    if (this.ecbDecrypt === null) {
      const key = this.keyOrThrow();
      this.ecbDecrypt = unpadded(createDecipheriv(this.algorithm(key.length, 'ecb'), key, null));
    }
    return this.ecbDecrypt;
  }

  /**
   * CBC encryption of src[srcOff..+len) under iv in one call on the kept context (see the header):
   * the first block goes in XORed with the IV and the context's chaining value. Returns OpenSSL's
   * output (len bytes); the chaining value is its last block.
   */
  private chainedEncrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): Buffer {
    const block = this.blockSize;
    if (this.cbc === null) {
      const key = this.keyOrThrow();
      this.cbc = unpadded(createCipheriv(this.algorithm(key.length, 'cbc'), key, this.zeroIv));
      this.cbcChain.fill(0);
    }
    if (scratch.length < len) scratch = Buffer.alloc(len);
    const input = len === block ? this.oneBlock : len === scratch.length ? scratch : scratch.subarray(0, len);
    const chain = this.cbcChain;
    for (let i = 0; i < block; i++) input[i] = src[srcOff + i] ^ iv[ivOff + i] ^ chain[i];
    if (len > block) input.set(src.subarray(srcOff + block, srcOff + len), block);
    const out = this.cbc.update(input);
    // Loops, not fill/copy: for a block or two they cost less than a call into Node's C++.
    for (let i = 0; i < len; i++) input[i] = 0;
    const last = len - block;
    for (let i = 0; i < block; i++) chain[i] = out[last + i];
    return out;
  }

  private checkBlocks(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number, outLen: number): void {
    const block = this.blockSize;
    if (len <= 0 || len % block !== 0) throw new Error(`${this.name}: expected whole blocks of ${block} bytes, got ${len} bytes`);
    assertRange(`${this.name} input`, src, srcOff, len);
    assertRange(`${this.name} output`, dst, dstOff, outLen);
  }
}

/** Whole blocks only (the seam's contract), so OpenSSL returns each call's output at once. */
function unpadded<T extends Cipher | Decipher>(c: T): T {
  c.setAutoPadding(false);
  return c;
}
