/**
 * AES-128/192/256 (FIPS-197) for the Node shells, on 32-bit words and lookup tables: the host
 * terminal's SE core and MCU take it through the core's BlockCipher seam
 * (core/crypto/block-cipher.ts) where the board runs the core's table-free SoftAes (its SE) and
 * Espruino's native AES (its MCU). The same cipher, bytes in and bytes out; the core's modes, CMAC
 * and SCP03 KDF run on top of it unchanged.
 *
 * A round is the SubBytes, ShiftRows and MixColumns of FIPS-197 §5.1.1-§5.1.3 folded into four
 * tables of 256 words, one per byte position of a column (the 32-bit implementation of the
 * Rijndael proposal, Daemen and Rijmen, AES submission §5.2.1): a column of the next state is four
 * lookups and four XORs with its round-key word. Decryption is the equivalent inverse cipher of
 * FIPS-197 §5.3.5 (InvMixColumns folded into the round keys of rounds 1..Nr-1), its schedule made
 * on the first decryption after setKey, so a key that only encrypts (CMAC, CBC encryption) makes
 * none.
 *
 * Why not node:crypto (net/crypto/node-aes.ts): a terminal's work is many short calls under many
 * short-lived keys (an SCP03 session's three keys, a link packet of a few blocks), where OpenSSL's
 * per-call cost and a context per key weigh more than the blocks. No allocation after construction;
 * the key schedule lives in the instance's typed arrays, wiped by wipe().
 *
 * Not constant-time: the lookups are indexed by key- and data-dependent bytes, so their timing
 * through the CPU's caches can leak key bits to code sharing the machine (Bernstein, "Cache-timing
 * attacks on AES", 2005). Fit for the host's simulated terminals; the platform, which holds every
 * device's keys, stays on node:crypto (AES-NI where the CPU has it).
 */
import { assertRange, type BlockCipher } from '../../firmware/src/core/crypto/block-cipher';

const BLOCK = 16;
const MAX_ROUNDS = 14;
const SCHEDULE_WORDS = 4 * (MAX_ROUNDS + 1);

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2.1). */
function xtime(b: number): number {
  return ((b << 1) ^ ((b & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
}

/** a * b in GF(2^8) (FIPS-197 §4.2), for building the tables. */
function mul(a: number, b: number): number {
  let r = 0;
  for (let x = a, y = b; y !== 0; x = xtime(x), y >>>= 1) if ((y & 1) !== 0) r ^= x;
  return r;
}

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
/** TE[k][x]: column word of S(x) at row k after MixColumns (FIPS-197 §5.1.3), rows from the top byte. */
const TE0 = new Int32Array(256);
const TE1 = new Int32Array(256);
const TE2 = new Int32Array(256);
const TE3 = new Int32Array(256);
/** TD[k][x]: the same for InvSubBytes and InvMixColumns (FIPS-197 §5.3.2-§5.3.3). */
const TD0 = new Int32Array(256);
const TD1 = new Int32Array(256);
const TD2 = new Int32Array(256);
const TD3 = new Int32Array(256);
/** Round constants x^(i-1) of FIPS-197 §5.2, in the top byte. */
const RCON = new Int32Array(10);

/** Built once at load. The S-box from its definition (FIPS-197 §5.1.1): inverse in GF(2^8), then the affine map. */
function buildTables(): void {
  const log = new Uint8Array(256);
  const exp = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++, x = x ^ xtime(x)) {
    exp[i] = x;
    log[x] = i;
  }
  for (let x = 0; x < 256; x++) {
    const inv = x === 0 ? 0 : exp[(255 - log[x]) % 255];
    let s = inv;
    for (let k = 1; k < 5; k++) s ^= ((inv << k) | (inv >>> (8 - k))) & 0xff;
    s ^= 0x63;
    SBOX[x] = s;
    INV_SBOX[s] = x;
  }
  for (let x = 0; x < 256; x++) {
    const s = SBOX[x];
    // MixColumns' column (02 01 01 03) times S(x) in row 0, rotated down a row per table.
    const e = (mul(s, 2) << 24) | (s << 16) | (s << 8) | mul(s, 3);
    TE0[x] = e;
    TE1[x] = (e >>> 8) | (e << 24);
    TE2[x] = (e >>> 16) | (e << 16);
    TE3[x] = (e >>> 24) | (e << 8);
    const v = INV_SBOX[x];
    // InvMixColumns' column (0e 09 0d 0b).
    const d = (mul(v, 14) << 24) | (mul(v, 9) << 16) | (mul(v, 13) << 8) | mul(v, 11);
    TD0[x] = d;
    TD1[x] = (d >>> 8) | (d << 24);
    TD2[x] = (d >>> 16) | (d << 16);
    TD3[x] = (d >>> 24) | (d << 8);
  }
  for (let i = 0, r = 1; i < 10; i++, r = xtime(r)) RCON[i] = r << 24;
}
buildTables();

/**
 * One block's four columns between the block functions, shared by every instance as NodeAes shares
 * its scratch: calls are synchronous and never re-entered; zeroed at the end of each call.
 */
const STATE = new Int32Array(4);

function clearState(): void {
  STATE[0] = 0;
  STATE[1] = 0;
  STATE[2] = 0;
  STATE[3] = 0;
}

function subWord(w: number): number {
  return (SBOX[w >>> 24] << 24) | (SBOX[(w >>> 16) & 255] << 16) | (SBOX[(w >>> 8) & 255] << 8) | SBOX[w & 255];
}

function readWord(b: Uint8Array, off: number): number {
  return (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
}

function writeWord(b: Uint8Array, off: number, w: number): void {
  b[off] = w >>> 24;
  b[off + 1] = (w >>> 16) & 255;
  b[off + 2] = (w >>> 8) & 255;
  b[off + 3] = w & 255;
}

export class TableAes implements BlockCipher {
  readonly blockSize = BLOCK;
  /** KeyExpansion's words w[0 .. 4(Nr+1)) (FIPS-197 §5.2). */
  private readonly enc = new Int32Array(SCHEDULE_WORDS);
  /** The equivalent inverse cipher's dw (FIPS-197 §5.3.5) in the order decryption uses them; made on the first decryption. */
  private dec: Int32Array | null = null;
  /** Nr (10, 12 or 14); 0 while no key is set. */
  private rounds = 0;
  private decReady = false;

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 16 && len !== 24 && len !== 32) throw new Error(`AES key: expected 16, 24 or 32 bytes, got ${len}`);
    assertRange('AES key', key, off, len);
    const nk = len >>> 2;
    const rounds = nk + 6;
    const w = this.enc;
    for (let i = 0; i < nk; i++) w[i] = readWord(key, off + 4 * i);
    const words = 4 * (rounds + 1);
    for (let i = nk; i < words; i++) {
      let t = w[i - 1];
      if (i % nk === 0) t = subWord((t << 8) | (t >>> 24)) ^ RCON[i / nk - 1];
      else if (nk > 6 && i % nk === 4) t = subWord(t);
      w[i] = w[i - nk] ^ t;
    }
    this.rounds = rounds;
    this.decReady = false;
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.check(src, srcOff, BLOCK, dst, dstOff, BLOCK);
    const s = STATE;
    s[0] = readWord(src, srcOff);
    s[1] = readWord(src, srcOff + 4);
    s[2] = readWord(src, srcOff + 8);
    s[3] = readWord(src, srcOff + 12);
    this.encryptState();
    this.writeState(dst, dstOff);
    clearState();
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.check(src, srcOff, BLOCK, dst, dstOff, BLOCK);
    const s = STATE;
    s[0] = readWord(src, srcOff);
    s[1] = readWord(src, srcOff + 4);
    s[2] = readWord(src, srcOff + 8);
    s[3] = readWord(src, srcOff + 12);
    this.decryptState();
    this.writeState(dst, dstOff);
    clearState();
  }

  cbcMac(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): void {
    this.check(src, srcOff, len, iv, ivOff, BLOCK);
    const s = STATE;
    s[0] = readWord(iv, ivOff);
    s[1] = readWord(iv, ivOff + 4);
    s[2] = readWord(iv, ivOff + 8);
    s[3] = readWord(iv, ivOff + 12);
    for (let at = srcOff; at < srcOff + len; at += BLOCK) {
      s[0] ^= readWord(src, at);
      s[1] ^= readWord(src, at + 4);
      s[2] ^= readWord(src, at + 8);
      s[3] ^= readWord(src, at + 12);
      this.encryptState();
    }
    this.writeState(iv, ivOff);
    clearState();
  }

  cbcEncrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    this.check(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, BLOCK);
    const s = STATE;
    s[0] = readWord(iv, ivOff);
    s[1] = readWord(iv, ivOff + 4);
    s[2] = readWord(iv, ivOff + 8);
    s[3] = readWord(iv, ivOff + 12);
    for (let i = 0; i < len; i += BLOCK) {
      const at = srcOff + i;
      s[0] ^= readWord(src, at);
      s[1] ^= readWord(src, at + 4);
      s[2] ^= readWord(src, at + 8);
      s[3] ^= readWord(src, at + 12);
      this.encryptState();
      this.writeState(dst, dstOff + i);
    }
    clearState();
  }

  /** P_i = D(C_i) xor C_{i-1} (SP 800-38A §6.2), C_{i-1} read before P_i is written, so dst may be src. */
  cbcDecrypt(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    this.check(src, srcOff, len, dst, dstOff, len);
    assertRange('CBC IV', iv, ivOff, BLOCK);
    const s = STATE;
    let p0 = readWord(iv, ivOff);
    let p1 = readWord(iv, ivOff + 4);
    let p2 = readWord(iv, ivOff + 8);
    let p3 = readWord(iv, ivOff + 12);
    for (let i = 0; i < len; i += BLOCK) {
      const at = srcOff + i;
      const c0 = readWord(src, at);
      const c1 = readWord(src, at + 4);
      const c2 = readWord(src, at + 8);
      const c3 = readWord(src, at + 12);
      s[0] = c0;
      s[1] = c1;
      s[2] = c2;
      s[3] = c3;
      this.decryptState();
      const out = dstOff + i;
      writeWord(dst, out, s[0] ^ p0);
      writeWord(dst, out + 4, s[1] ^ p1);
      writeWord(dst, out + 8, s[2] ^ p2);
      writeWord(dst, out + 12, s[3] ^ p3);
      p0 = c0;
      p1 = c1;
      p2 = c2;
      p3 = c3;
    }
    clearState();
  }

  wipe(): void {
    this.enc.fill(0);
    this.dec?.fill(0);
    clearState();
    this.rounds = 0;
    this.decReady = false;
  }

  /** Cipher (FIPS-197 §5.1) on the columns in STATE. */
  private encryptState(): void {
    const w = this.enc;
    const nr = this.rounds;
    const s = STATE;
    let s0 = s[0] ^ w[0];
    let s1 = s[1] ^ w[1];
    let s2 = s[2] ^ w[2];
    let s3 = s[3] ^ w[3];
    let k = 4;
    for (let round = 1; round < nr; round++, k += 4) {
      // Column c of the next state takes row r from column c + r (ShiftRows, FIPS-197 §5.1.2).
      const t0 = TE0[s0 >>> 24] ^ TE1[(s1 >>> 16) & 255] ^ TE2[(s2 >>> 8) & 255] ^ TE3[s3 & 255] ^ w[k];
      const t1 = TE0[s1 >>> 24] ^ TE1[(s2 >>> 16) & 255] ^ TE2[(s3 >>> 8) & 255] ^ TE3[s0 & 255] ^ w[k + 1];
      const t2 = TE0[s2 >>> 24] ^ TE1[(s3 >>> 16) & 255] ^ TE2[(s0 >>> 8) & 255] ^ TE3[s1 & 255] ^ w[k + 2];
      const t3 = TE0[s3 >>> 24] ^ TE1[(s0 >>> 16) & 255] ^ TE2[(s1 >>> 8) & 255] ^ TE3[s2 & 255] ^ w[k + 3];
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
    }
    // The last round has no MixColumns.
    s[0] = ((SBOX[s0 >>> 24] << 24) | (SBOX[(s1 >>> 16) & 255] << 16) | (SBOX[(s2 >>> 8) & 255] << 8) | SBOX[s3 & 255]) ^ w[k];
    s[1] = ((SBOX[s1 >>> 24] << 24) | (SBOX[(s2 >>> 16) & 255] << 16) | (SBOX[(s3 >>> 8) & 255] << 8) | SBOX[s0 & 255]) ^ w[k + 1];
    s[2] = ((SBOX[s2 >>> 24] << 24) | (SBOX[(s3 >>> 16) & 255] << 16) | (SBOX[(s0 >>> 8) & 255] << 8) | SBOX[s1 & 255]) ^ w[k + 2];
    s[3] = ((SBOX[s3 >>> 24] << 24) | (SBOX[(s0 >>> 16) & 255] << 16) | (SBOX[(s1 >>> 8) & 255] << 8) | SBOX[s2 & 255]) ^ w[k + 3];
  }

  /** The equivalent inverse cipher (FIPS-197 §5.3.5) on the columns in STATE. */
  private decryptState(): void {
    const w = this.decReady && this.dec !== null ? this.dec : this.makeDecryptionSchedule();
    const nr = this.rounds;
    const s = STATE;
    let s0 = s[0] ^ w[0];
    let s1 = s[1] ^ w[1];
    let s2 = s[2] ^ w[2];
    let s3 = s[3] ^ w[3];
    let k = 4;
    for (let round = 1; round < nr; round++, k += 4) {
      // InvShiftRows (FIPS-197 §5.3.1): row r of column c comes from column c - r.
      const t0 = TD0[s0 >>> 24] ^ TD1[(s3 >>> 16) & 255] ^ TD2[(s2 >>> 8) & 255] ^ TD3[s1 & 255] ^ w[k];
      const t1 = TD0[s1 >>> 24] ^ TD1[(s0 >>> 16) & 255] ^ TD2[(s3 >>> 8) & 255] ^ TD3[s2 & 255] ^ w[k + 1];
      const t2 = TD0[s2 >>> 24] ^ TD1[(s1 >>> 16) & 255] ^ TD2[(s0 >>> 8) & 255] ^ TD3[s3 & 255] ^ w[k + 2];
      const t3 = TD0[s3 >>> 24] ^ TD1[(s2 >>> 16) & 255] ^ TD2[(s1 >>> 8) & 255] ^ TD3[s0 & 255] ^ w[k + 3];
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
    }
    const is = INV_SBOX;
    s[0] = ((is[s0 >>> 24] << 24) | (is[(s3 >>> 16) & 255] << 16) | (is[(s2 >>> 8) & 255] << 8) | is[s1 & 255]) ^ w[k];
    s[1] = ((is[s1 >>> 24] << 24) | (is[(s0 >>> 16) & 255] << 16) | (is[(s3 >>> 8) & 255] << 8) | is[s2 & 255]) ^ w[k + 1];
    s[2] = ((is[s2 >>> 24] << 24) | (is[(s1 >>> 16) & 255] << 16) | (is[(s0 >>> 8) & 255] << 8) | is[s3 & 255]) ^ w[k + 2];
    s[3] = ((is[s3 >>> 24] << 24) | (is[(s2 >>> 16) & 255] << 16) | (is[(s1 >>> 8) & 255] << 8) | is[s0 & 255]) ^ w[k + 3];
  }

  /**
   * dw of FIPS-197 §5.3.5: the round keys in reverse round order, InvMixColumns applied to those of
   * rounds 1..Nr-1. InvMixColumns of a word is TD of its bytes' S-box images (TD holds InvSubBytes).
   */
  private makeDecryptionSchedule(): Int32Array {
    const w = this.enc;
    const d = (this.dec ??= new Int32Array(SCHEDULE_WORDS));
    const nr = this.rounds;
    for (let round = 0; round <= nr; round++) {
      const from = 4 * (nr - round);
      for (let c = 0; c < 4; c++) {
        const x = w[from + c];
        d[4 * round + c] =
          round === 0 || round === nr
            ? x
            : TD0[SBOX[x >>> 24]] ^ TD1[SBOX[(x >>> 16) & 255]] ^ TD2[SBOX[(x >>> 8) & 255]] ^ TD3[SBOX[x & 255]];
      }
    }
    this.decReady = true;
    return d;
  }

  private writeState(dst: Uint8Array, off: number): void {
    const s = STATE;
    writeWord(dst, off, s[0]);
    writeWord(dst, off + 4, s[1]);
    writeWord(dst, off + 8, s[2]);
    writeWord(dst, off + 12, s[3]);
  }

  private check(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number, outLen: number): void {
    if (this.rounds === 0) throw new Error('AES: no key set');
    if (len <= 0 || len % BLOCK !== 0) throw new Error(`AES: expected whole 16-byte blocks, got ${len} bytes`);
    assertRange('AES input', src, srcOff, len);
    assertRange('AES output', dst, dstOff, outLen);
  }
}
