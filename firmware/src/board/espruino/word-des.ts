/**
 * DES (FIPS 46-3) and Triple DES EDE (SP 800-67) on 32-bit words, for the board's PBOC purse MACs.
 * The portable core's SoftDes (core/crypto/des.ts) keeps every value below 2^31 for Lua and so
 * works byte by byte; on Espruino, which interprets every token, a word-wide round is about ten
 * times cheaper. Same BlockCipher seam, same answers (test/crypto/des.test.ts runs both).
 *
 * - IP and IP^-1 are five swaps of bit groups between the two halves, a network equal to FIPS
 *   46-3 §3's IP table (the known answers and the OpenSSL comparison in the tests cover it).
 * - f(R, K): the E expansion's eight 6-bit groups are read straight out of R rotated right by one
 *   (groups 0, 2, 4, 6 at bits 31..26, 23..18, 15..10, 7..2) and that word rotated left by four
 *   (groups 1, 3, 5, 7 at the same places), so a round key is two words laid out the same way.
 *   Each group then sits in the top six bits of a byte of its word; the two bits below it (the
 *   gap) are masked off and the round key puts the byte's index there, so a byte of either word
 *   is an index into one 256-word table (SP of the group's S-box: P of its output, as a word),
 *   one for the even groups and one for the odd. A round writes the two words into a scratch
 *   Int32Array and looks the eight bytes up natively, four per call, with E.mapInPlace
 *   (src/jswrap_espruino.c), and ORs the eight SP words with E.sum: their bits are disjoint (P
 *   is a permutation), so their sum is their OR. Both halves stay rotated right by one through
 *   the rounds, and so do the SP words. The scratch's bytes are read in memory order:
 *   little-endian, as on an ESP32 (Xtensa) and x86.
 * - PC-1 is a transpose of the key's 8 x 8 bit matrix, three rounds of bit-group swaps.
 * - The key schedule rotates the 28-bit halves C and D and reads PC-2 from chunk tables: four
 *   7-bit chunks of each half give their share of both round-key words from one table each,
 *   eight lookups a round (ten with 6-bit chunks; 28 when it read nibbles from two tables each).
 *
 * Tables: SP 2 x 256 words and PC-2 2 x 4 x 128 words, 6,144 bytes built once (DesTables); a
 * keyed engine holds 32 words. Uses >>> and full 32-bit values, so it lives here, outside the portable core.
 */
import { assertRange, type BlockCipher } from '../../core/crypto/block-cipher';
import { permutationP, permutedChoice2, sBox, sBoxes } from '../../core/crypto/_des-tables';
import { TripleDes } from '../../core/crypto/triple-des';

const BLOCK = 8;
const ROUNDS = 16;
const HALF_MASK = 0x0fffffff;
/** The high 16 bits of a word, as a 32-bit integer literal (0xffff0000 is above 2^31). */
const HIGH_HALF = -65536;

/**
 * SP: 2 tables x 256 words, even groups then odd; group j's entry for its 6 bits x, looked up
 * from byte 3 - (j >> 1) of its word, is at (x << 2) | (3 - (j >> 1)) of table j & 1, and holds
 * P(S_j(x) at output bits 4j+1..4j+4), bit 1 the word's bit 31, rotated right by one.
 */
const SP_WORDS = 2 * 256;
/** The round-key words' gap bits: byte b holds b (run() masks the halves' gaps off, GAP_MASK). */
const GAP_BITS = 0x03020100;
/** The halves without their gap bits (0xfcfcfcfc as a 32-bit integer literal). */
const GAP_MASK = -50529028;
/**
 * PC-2 tables, one per chunk of C or D: chunks 0-3 of a half are its bits 27..21, 20..14, 13..7
 * and 6..0 (128 entries each). Entry v of a C chunk holds what the chunk brings when it is v to
 * the even round-key word (groups 0 2, high half) over what it brings to the odd word (groups 1 3,
 * high half, moved to the low half); entry v of a D chunk the even word's low half (groups 4 6,
 * moved to the high half) over the odd word's (groups 5 7).
 */
const PC2_CHUNK = 128;
/** Words of the PC-2 tables: 4 x 128 per half. */
const PC2_WORDS = 2 * 4 * PC2_CHUNK;
/** Words in a table buffer: SP, then PC2_WORDS. */
export const DES_TABLE_WORDS = SP_WORDS + PC2_WORDS;

/** Where round-key bit b (0..47) sits: in word (b / 6) & 1, at the word bit returned. */
function roundKeyBit(b: number): number {
  const group = Math.floor(b / 6);
  return (32 >>> (b % 6)) << (26 - 8 * (group >>> 1));
}

/** The tables every engine reads, SP then PC2_WORDS, computed from FIPS 46-3's. */
export function buildDesTables(): Int32Array {
  const t = new Int32Array(DES_TABLE_WORDS);
  const P = permutationP();
  const boxes = sBoxes();
  for (let j = 0; j < 8; j++) {
    for (let x = 0; x < 64; x++) {
      const s = sBox(boxes, j, x);
      let word = 0;
      for (let i = 0; i < 32; i++) {
        const q = P[i] - 1; // output bit i takes pre-P bit q
        if (q >>> 2 === j && ((s >>> (3 - (q & 3))) & 1) !== 0) word |= 1 << (31 - i);
      }
      t[(j & 1) * 256 + ((x << 2) | (3 - (j >>> 1)))] = (word >>> 1) | (word << 31); // rotated like the halves in run()
    }
  }
  const PC2 = permutedChoice2();
  for (let b = 0; b < 48; b++) {
    const src = PC2[b] - 1; // 0..55 over C||D; C feeds b 0..23, D b 24..47
    const half = src < 28 ? 0 : 1;
    const bit = src - 28 * half; // 0 = the half's first (most significant) bit
    const chunk = Math.floor(bit / 7);
    const chunkBit = 1 << (6 - (bit - 7 * chunk));
    const word = roundKeyBit(b);
    const odd = (Math.floor(b / 6) & 1) === 1;
    // C: even high half stays, odd high half moves down; D: even low half moves up, odd stays.
    const entryBit = half === 0 ? (odd ? word >>> 16 : word) : odd ? word : word << 16;
    const base = SP_WORDS + half * (PC2_WORDS / 2) + PC2_CHUNK * chunk;
    for (let v = 0; v < PC2_CHUNK; v++) {
      if ((v & chunkBit) !== 0) t[base + v] |= entryBit;
    }
  }
  // The gap bits (GAP_BITS) ride in the last chunk's tables: C's entries give both words' high
  // halves (0x0302 each), D's their low halves (0x0100 each).
  for (let v = 0; v < PC2_CHUNK; v++) {
    t[SP_WORDS + 3 * PC2_CHUNK + v] |= ((GAP_BITS >>> 16) * 0x10001) | 0;
    t[SP_WORDS + PC2_WORDS / 2 + 3 * PC2_CHUNK + v] |= (GAP_BITS & 0xffff) * 0x10001;
  }
  return t;
}

/** E.mapInPlace(from, to, map) as run() calls it: to[i] = map[from[i]] while both have elements. */
export type MapInPlace = (from: Uint8Array, to: Int32Array, map: Int32Array) => void;
/** E.sum: the sum of a view's elements. */
export type SumOf = (values: Int32Array) => number;

/** What E.mapInPlace does with run()'s arguments, for hosts and tests (the board passes Espruino's own). */
export function mapInPlaceJs(from: Uint8Array, to: Int32Array, map: Int32Array): void {
  const n = Math.min(from.length, to.length);
  for (let i = 0; i < n; i++) to[i] = map[from[i]];
}

/** E.sum, for hosts and tests. */
export function sumJs(values: Int32Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

/**
 * Views of a buffer laid out as buildDesTables() returns it, and run()'s scratch, made once and
 * shared by every engine. On the board the buffer is a Storage file's mapped flash
 * (des-table-file.ts), ~210 JsVars less than in RAM, and map and sum are Espruino's natives.
 */
export class DesTables {
  /** SP for the even groups (0 2 4 6) and for the odd (1 3 5 7), 256 words each. */
  readonly even: Int32Array;
  readonly odd: Int32Array;
  /** PC-2 chunk tables: C's chunks 0-3, then D's (PC2_CHUNK entries each). */
  readonly pc2: Int32Array[] = [];
  /** A round's two words (the even groups' and the odd groups'), and their bytes. */
  readonly words = new Int32Array(2);
  readonly evenBytes: Uint8Array;
  readonly oddBytes: Uint8Array;
  /** The eight SP words a round looks up, the even groups' first. */
  readonly sp = new Int32Array(8);
  readonly evenSp: Int32Array;
  readonly oddSp: Int32Array;
  readonly map: MapInPlace;
  readonly sum: SumOf;

  constructor(buffer: ArrayBufferLike, map?: MapInPlace, sum?: SumOf) {
    this.even = new Int32Array(buffer, 0, 256);
    this.odd = new Int32Array(buffer, 4 * 256, 256);
    for (let j = 0; j < 8; j++) this.pc2.push(new Int32Array(buffer, 4 * (SP_WORDS + PC2_CHUNK * j), PC2_CHUNK));
    this.evenBytes = new Uint8Array(this.words.buffer, 0, 4);
    this.oddBytes = new Uint8Array(this.words.buffer, 4, 4);
    this.evenSp = new Int32Array(this.sp.buffer, 0, 4);
    this.oddSp = new Int32Array(this.sp.buffer, 16, 4);
    this.map = map === undefined ? mapInPlaceJs : map;
    this.sum = sum === undefined ? sumJs : sum;
  }
}

export class WordDes implements BlockCipher {
  readonly blockSize = BLOCK;
  /** Round r's key words at 2r (groups 0 2 4 6) and 2r+1 (groups 1 3 5 7). */
  private readonly keys = new Int32Array(2 * ROUNDS);
  /** `keys` holds the round keys in decryption order (see order()). */
  private reversed = false;
  private keyed = false;
  private readonly tables: DesTables;

  constructor(tables: DesTables) {
    this.tables = tables;
  }

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 8) throw new Error('DES key: expected 8 bytes, got ' + len);
    if (off < 0 || off + 8 > key.length) assertRange('DES key', key, off, len); // throws (see run())
    // PC-1 (FIPS 46-3 §3, parity bits dropped) into the 28-bit halves C and D: PC-1 is the 8 x 8
    // bit matrix of the key bytes transposed (C the bit columns 1, 2, 3 and half of 4 read from the
    // last byte up, D the columns 7, 6, 5 and the other half of 4), done as three rounds of bit-group
    // swaps on the bytes loaded last first (the transpose of Hacker's Delight §7-3).
    let x = (key[off + 7] << 24) | (key[off + 6] << 16) | (key[off + 5] << 8) | key[off + 4];
    let y = (key[off + 3] << 24) | (key[off + 2] << 16) | (key[off + 1] << 8) | key[off];
    let t = (x ^ (x >>> 7)) & 0x00aa00aa;
    x ^= t ^ (t << 7);
    t = (y ^ (y >>> 7)) & 0x00aa00aa;
    y ^= t ^ (t << 7);
    t = (x ^ (x >>> 14)) & 0x0000cccc;
    x ^= t ^ (t << 14);
    t = (y ^ (y >>> 14)) & 0x0000cccc;
    y ^= t ^ (t << 14);
    t = ((y >>> 4) ^ x) & 0x0f0f0f0f;
    x ^= t;
    y ^= t << 4;
    // x now holds columns 1 2 3 4 (a byte each, the last key byte's bit first), y columns 5 6 7 8.
    const cx = x >>> 4;
    const dx = ((y & 0xff00) << 12) | ((y & 0xff0000) >>> 4) | ((y >>> 20) & 0xff0) | (x & 15);
    // PC-2 from 7-bit chunks of C and D, a table each (buildDesTables):
    // C feeds only round-key groups 0-3, which sit in the high halves of both words, D only groups
    // 4-7, in the low halves; so a C entry holds the even word's high half over the odd word's
    // high half, a D entry the even word's low half over the odd word's, and each round is eight
    // lookups. The 16 rounds written out with their shifts (FIPS 46-3 §3 key schedule), in a block
    // whose own scope holds the names they read, most used first (run() says why).
    const pc = this.tables.pc2;
    {
      let c = cx;
      let d = dx;
      let u = 0;
      let v = 0;
      const k = this.keys;
      const c0 = pc[0];
      const c1 = pc[1];
      const c2 = pc[2];
      const c3 = pc[3];
      const d0 = pc[4];
      const d1 = pc[5];
      const d2 = pc[6];
      const d3 = pc[7];
      c = ((c << 1) | (c >>> 27)) & HALF_MASK;
      d = ((d << 1) | (d >>> 27)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[0] = (u & HIGH_HALF) | (v >>> 16);
      k[1] = (u << 16) | (v & 0xffff);
      c = ((c << 1) | (c >>> 27)) & HALF_MASK;
      d = ((d << 1) | (d >>> 27)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[2] = (u & HIGH_HALF) | (v >>> 16);
      k[3] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[4] = (u & HIGH_HALF) | (v >>> 16);
      k[5] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[6] = (u & HIGH_HALF) | (v >>> 16);
      k[7] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[8] = (u & HIGH_HALF) | (v >>> 16);
      k[9] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[10] = (u & HIGH_HALF) | (v >>> 16);
      k[11] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[12] = (u & HIGH_HALF) | (v >>> 16);
      k[13] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[14] = (u & HIGH_HALF) | (v >>> 16);
      k[15] = (u << 16) | (v & 0xffff);
      c = ((c << 1) | (c >>> 27)) & HALF_MASK;
      d = ((d << 1) | (d >>> 27)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[16] = (u & HIGH_HALF) | (v >>> 16);
      k[17] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[18] = (u & HIGH_HALF) | (v >>> 16);
      k[19] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[20] = (u & HIGH_HALF) | (v >>> 16);
      k[21] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[22] = (u & HIGH_HALF) | (v >>> 16);
      k[23] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[24] = (u & HIGH_HALF) | (v >>> 16);
      k[25] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[26] = (u & HIGH_HALF) | (v >>> 16);
      k[27] = (u << 16) | (v & 0xffff);
      c = ((c << 2) | (c >>> 26)) & HALF_MASK;
      d = ((d << 2) | (d >>> 26)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[28] = (u & HIGH_HALF) | (v >>> 16);
      k[29] = (u << 16) | (v & 0xffff);
      c = ((c << 1) | (c >>> 27)) & HALF_MASK;
      d = ((d << 1) | (d >>> 27)) & HALF_MASK;
      u = c0[c >>> 21] | c1[(c >>> 14) & 127] | c2[(c >>> 7) & 127] | c3[c & 127];
      v = d0[d >>> 21] | d1[(d >>> 14) & 127] | d2[(d >>> 7) & 127] | d3[d & 127];
      k[30] = (u & HIGH_HALF) | (v >>> 16);
      k[31] = (u << 16) | (v & 0xffff);
    }
    this.keyed = true;
    this.reversed = false;
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.run(src, srcOff, 1, dst, dstOff, this.keysFor(false), null, null, false);
  }

  /** Decryption is the same network with the round keys in reverse order. */
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.run(src, srcOff, 1, dst, dstOff, this.keysFor(true), null, null, false);
  }

  /** CBC encryption of src[srcOff..+len) under iv[ivOff..], the last block into iv (BlockCipher.cbcMac). */
  cbcMac(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): void {
    if (len <= 0 || len % BLOCK !== 0) throw new Error('DES CBC-MAC: expected whole blocks, got ' + len + ' bytes');
    this.run(src, srcOff, len / BLOCK, iv, ivOff, this.keysFor(false), null, null, true);
  }

  wipe(): void {
    this.keys.fill(0);
    this.keyed = false;
    this.reversed = false;
  }

  /**
   * The round keys in decryption order when `decrypt`, else in encryption order, for run(). One
   * method where there were two, and Triple DES calls run() itself: on Espruino each method costs
   * ~4 JsVars plus one per parameter for as long as the firmware runs.
   */
  keysFor(decrypt: boolean): Int32Array {
    if (!this.keyed) throw new Error('DES: no key set');
    if (this.reversed !== decrypt) this.order();
    return this.keys;
  }

  /**
   * Reverses the round keys in place: the rounds are written out for one order, and an engine
   * keeps to one direction (Triple DES's middle engine only decrypts), so this runs once per key.
   */
  private order(): void {
    const k = this.keys;
    let t = 0;
    for (let r = 0; r < ROUNDS / 2; r++) {
      const a = 2 * r;
      const b = 2 * (ROUNDS - 1 - r);
      t = k[a];
      k[a] = k[b];
      k[b] = t;
      t = k[a + 1];
      k[a + 1] = k[b + 1];
      k[b + 1] = t;
    }
    this.reversed = !this.reversed;
  }

  /**
   * FIPS 46-3 §3 over n blocks of src (n >= 1), each through one pass of the 16 rounds under round
   * keys ka (kb null) or three passes under ka, kb, kc (Triple DES EDE), CBC-chained: the state
   * starts from the block at dst[dstOff] (an IV) when `chain`, from zero otherwise, and the last
   * block's result goes to dst[dstOff]. Between passes and blocks the halves stay as IP leaves
   * them: IP^-1 then IP is the identity, and both permute bits, so IP(IP^-1(y) xor p) = y xor
   * IP(p): a block of a CBC-MAC or a step of Triple DES costs no IP^-1, IP or byte conversion.
   * Round keys from keysFor(); WordTripleDes runs its three steps through here.
   */
  run(src: Uint8Array, srcOff: number, n: number, dst: Uint8Array, dstOff: number, ka: Int32Array, kb: Int32Array | null, kc: Int32Array | null, chain: boolean): void {
    // assertRange called only to throw: on Espruino a call and its string cost ~6 units
    if (srcOff < 0 || srcOff + BLOCK * n > src.length) assertRange('DES input', src, srcOff, BLOCK * n);
    if (dstOff < 0 || dstOff + BLOCK > dst.length) assertRange('DES output block', dst, dstOff, BLOCK);
    const tb = this.tables;
    {
      // Everything in a block whose own scope holds the names the rounds read first, most used
      // first, then the rest: Espruino finds a name by walking the innermost scope's list first,
      // and this method's parameters ahead of them cost ~3 empty-loop times a round (a pass ~280
      // -> ~230 in a standalone probe). One block for all blocks and passes: its scope is made
      // once a call (it was made once a pass, ~14 units each).
      const i = tb.words;
      let k = ka;
      const m = GAP_MASK;
      const p = tb.map;
      let lb = 0;
      let rb = 0;
      const a = tb.evenBytes;
      const o = tb.evenSp;
      const e = tb.even;
      const b = tb.oddBytes;
      const q = tb.oddSp;
      const f = tb.odd;
      const z = tb.sum;
      const y = tb.sp;
      let t = 0;
      let v = 0;
      let w = 0;
      let pass = 0;
      let at = srcOff;
      const end = srcOff + BLOCK * n;
      const passes = kb === null ? 1 : 3;
      // An IV is XORed into the first block before its IP (CBC, SP 800-38A §6.2).
      if (chain) {
        lb = (dst[dstOff] << 24) | (dst[dstOff + 1] << 16) | (dst[dstOff + 2] << 8) | dst[dstOff + 3];
        rb = (dst[dstOff + 4] << 24) | (dst[dstOff + 5] << 16) | (dst[dstOff + 6] << 8) | dst[dstOff + 7];
      }
      for (; at < end; at += BLOCK) {
        // IP of the block, rotated right by one (f then reads R's E groups without rotating per
        // round), into the state.
        v = (src[at] << 24) | (src[at + 1] << 16) | (src[at + 2] << 8) | src[at + 3];
        w = (src[at + 4] << 24) | (src[at + 5] << 16) | (src[at + 6] << 8) | src[at + 7];
        if (chain) {
          v ^= lb;
          w ^= rb;
          lb = 0;
          rb = 0;
          chain = false;
        }
        t = ((v >>> 4) ^ w) & 0x0f0f0f0f;
        w ^= t;
        v ^= t << 4;
        t = ((v >>> 16) ^ w) & 0x0000ffff;
        w ^= t;
        v ^= t << 16;
        t = ((w >>> 2) ^ v) & 0x33333333;
        v ^= t;
        w ^= t << 2;
        t = ((w >>> 8) ^ v) & 0x00ff00ff;
        v ^= t;
        w ^= t << 8;
        t = ((v >>> 1) ^ w) & 0x55555555;
        w ^= t;
        v ^= t << 1;
        lb ^= (v >>> 1) | (v << 31);
        rb ^= (w >>> 1) | (w << 31);
        for (pass = 0; pass < passes; pass++) {
          k = pass === 0 ? ka : pass === 1 ? (kb as Int32Array) : (kc as Int32Array);
          // The 16 rounds written out (Espruino interprets every token: no loop counter, no index
          // arithmetic; ~13% of a block). The halves trade roles instead of places. A round: the
          // two words without their gaps, XORed with the round key (whose gaps select the table),
          // into the scratch; the eight SP words looked up natively; their OR (their sum) into the
          // other half.
          i[0] = (rb & m) ^ k[0];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[1];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[2];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[3];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          i[0] = (rb & m) ^ k[4];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[5];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[6];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[7];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          i[0] = (rb & m) ^ k[8];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[9];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[10];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[11];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          i[0] = (rb & m) ^ k[12];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[13];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[14];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[15];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          i[0] = (rb & m) ^ k[16];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[17];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[18];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[19];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          i[0] = (rb & m) ^ k[20];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[21];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[22];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[23];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          i[0] = (rb & m) ^ k[24];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[25];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[26];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[27];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          i[0] = (rb & m) ^ k[28];
          i[1] = (((rb << 4) | (rb >>> 28)) & m) ^ k[29];
          p(a, o, e);
          p(b, q, f);
          lb ^= z(y);
          i[0] = (lb & m) ^ k[30];
          i[1] = (((lb << 4) | (lb >>> 28)) & m) ^ k[31];
          p(a, o, e);
          p(b, q, f);
          rb ^= z(y);
          // The preoutput is R16 || L16: the next pass or block starts from it.
          t = lb;
          lb = rb;
          rb = t;
        }
      }
      lb = (lb << 1) | (lb >>> 31);
      rb = (rb << 1) | (rb >>> 31);
      // IP^-1: the swaps of IP in reverse order.
      t = ((lb >>> 1) ^ rb) & 0x55555555;
      rb ^= t;
      lb ^= t << 1;
      t = ((rb >>> 8) ^ lb) & 0x00ff00ff;
      lb ^= t;
      rb ^= t << 8;
      t = ((rb >>> 2) ^ lb) & 0x33333333;
      lb ^= t;
      rb ^= t << 2;
      t = ((lb >>> 16) ^ rb) & 0x0000ffff;
      rb ^= t;
      lb ^= t << 16;
      t = ((lb >>> 4) ^ rb) & 0x0f0f0f0f;
      rb ^= t;
      lb ^= t << 4;
      dst[dstOff] = lb >>> 24;
      dst[dstOff + 1] = lb >>> 16;
      dst[dstOff + 2] = lb >>> 8;
      dst[dstOff + 3] = lb;
      dst[dstOff + 4] = rb >>> 24;
      dst[dstOff + 5] = rb >>> 16;
      dst[dstOff + 6] = rb >>> 8;
      dst[dstOff + 7] = rb;
    }
  }
}

/**
 * Triple DES EDE (core/crypto/triple-des.ts) on WordDes; twoKeyOnly: 16-byte keys only, two
 * engines. Encryption runs the three steps in one pass through the network (WordDes.run).
 */
export class WordTripleDes extends TripleDes {
  constructor(tables: DesTables, twoKeyOnly: boolean) {
    super(() => new WordDes(tables), twoKeyOnly);
  }

  /** EDE (SP 800-67 §3): encryption under K1, decryption under K2, encryption under K3 (K1 for two keys), one run. */
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const k1 = this.k1 as WordDes;
    k1.run(src, srcOff, 1, dst, dstOff, k1.keysFor(false), (this.k2 as WordDes).keysFor(true), (this.last as WordDes).keysFor(false), false);
  }
}
