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
 *   (groups 1, 3, 5, 7 at the same places), so a round key is two words laid out the same way and
 *   a round is two XORs and eight lookups in SP tables (P of each S-box output, as a word). Both
 *   halves stay rotated right by one through the rounds, and so do the SP words.
 * - PC-1 is a transpose of the key's 8 x 8 bit matrix, three rounds of bit-group swaps.
 * - The key schedule rotates the 28-bit halves C and D and reads PC-2 from nibble tables: each of
 *   the 14 nibbles of C||D gives its share of both round-key words, from one table per word.
 *
 * Tables: SP 8 x 64 words and PC-2 14 x 16 x 2 words, 3,840 bytes built once (DesTables); a keyed
 * engine holds 32 words. Uses >>> and full 32-bit values, so it lives here, outside the portable core.
 */
import { assertRange, type BlockCipher } from '../../core/crypto/block-cipher';
import { KEY_SHIFTS, permutationP, permutedChoice2, sBox, sBoxes } from '../../core/crypto/_des-tables';
import { TripleDes } from '../../core/crypto/triple-des';

const BLOCK = 8;
const ROUNDS = 16;
const HALF_MASK = 0x0fffffff;

/** SP: 8 S-boxes x 64 words; SP[j][x] is P(S_j(x) at output bits 4j+1..4j+4), bit 1 the word's bit 31, rotated right by one. */
const SP_WORDS = 8 * 64;
/** Entries per PC-2 table: [n * 16 + v] for nibble n (0..13) of C||D being v. */
const PC2_ENTRIES = 14 * 16;
/**
 * Two PC-2 tables, one per round-key word w (0: groups 0 2 4 6, 1: groups 1 3 5 7): entry
 * n * 16 + v holds the bits of word w that nibble n of C||D brings when it is v.
 */
const PC2_WORDS = 2 * PC2_ENTRIES;
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
      t[j * 64 + x] = (word >>> 1) | (word << 31); // rotated like the halves in crypt()
    }
  }
  const PC2 = permutedChoice2();
  for (let b = 0; b < 48; b++) {
    const src = PC2[b] - 1; // 0..55 over C||D
    const n = src >>> 2;
    const nibbleBit = 8 >>> (src & 3);
    for (let v = 0; v < 16; v++) {
      if ((v & nibbleBit) !== 0) t[SP_WORDS + (Math.floor(b / 6) & 1) * PC2_ENTRIES + n * 16 + v] |= roundKeyBit(b);
    }
  }
  return t;
}

/**
 * Views of a buffer laid out as buildDesTables() returns it, made once and shared by every engine.
 * On the board the buffer is a Storage file's mapped flash (des-table-file.ts), ~210 JsVars less
 * than in RAM.
 */
export class DesTables {
  readonly sp: Int32Array[] = [];
  /** PC-2 for the round keys' even words (groups 0 2 4 6) and odd words (groups 1 3 5 7). */
  readonly pc2Even: Int32Array;
  readonly pc2Odd: Int32Array;

  constructor(buffer: ArrayBufferLike) {
    for (let j = 0; j < 8; j++) this.sp.push(new Int32Array(buffer, 4 * 64 * j, 64));
    this.pc2Even = new Int32Array(buffer, 4 * SP_WORDS, PC2_ENTRIES);
    this.pc2Odd = new Int32Array(buffer, 4 * (SP_WORDS + PC2_ENTRIES), PC2_ENTRIES);
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
    assertRange('DES key', key, off, len);
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
    let c = x >>> 4;
    let d = ((y & 0xff00) << 12) | ((y & 0xff0000) >>> 4) | ((y >>> 20) & 0xff0) | (x & 15);
    // The tables as locals: Espruino finds a local in the function's short list, a top-level name
    // by walking the globals.
    const shifts = KEY_SHIFTS;
    const e = this.tables.pc2Even;
    const o = this.tables.pc2Odd;
    const k = this.keys;
    let a = 0;
    let b = 0;
    let even = 0;
    let odd = 0;
    let s = 0;
    for (let r = 0; r < ROUNDS; r++) {
      s = shifts[r];
      c = ((c << s) | (c >>> (28 - s))) & HALF_MASK;
      d = ((d << s) | (d >>> (28 - s))) & HALF_MASK;
      // PC-2 nibble by nibble, written out (~40% of the schedule): a from C, b from D.
      a = (c >>> 24) & 15;
      b = ((d >>> 24) & 15) + 112;
      even = e[a] | e[b];
      odd = o[a] | o[b];
      a = ((c >>> 20) & 15) + 16;
      b = ((d >>> 20) & 15) + 128;
      even |= e[a] | e[b];
      odd |= o[a] | o[b];
      a = ((c >>> 16) & 15) + 32;
      b = ((d >>> 16) & 15) + 144;
      even |= e[a] | e[b];
      odd |= o[a] | o[b];
      a = ((c >>> 12) & 15) + 48;
      b = ((d >>> 12) & 15) + 160;
      even |= e[a] | e[b];
      odd |= o[a] | o[b];
      a = ((c >>> 8) & 15) + 64;
      b = ((d >>> 8) & 15) + 176;
      even |= e[a] | e[b];
      odd |= o[a] | o[b];
      a = ((c >>> 4) & 15) + 80;
      b = ((d >>> 4) & 15) + 192;
      even |= e[a] | e[b];
      odd |= o[a] | o[b];
      a = (c & 15) + 96;
      b = (d & 15) + 208;
      even |= e[a] | e[b];
      odd |= o[a] | o[b];
      k[2 * r] = even;
      k[2 * r + 1] = odd;
    }
    this.keyed = true;
    this.reversed = false;
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    if (this.reversed) this.order();
    this.crypt(src, srcOff, dst, dstOff, this.keys);
  }

  /** Decryption is the same network with the round keys in reverse order. */
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    if (!this.reversed) this.order();
    this.crypt(src, srcOff, dst, dstOff, this.keys);
  }

  wipe(): void {
    this.keys.fill(0);
    this.keyed = false;
    this.reversed = false;
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

  /** The 16 rounds under round keys k (in the order of use), FIPS 46-3 §3. */
  private crypt(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, k: Int32Array): void {
    if (!this.keyed) throw new Error('DES: no key set');
    assertRange('DES input block', src, srcOff, BLOCK);
    assertRange('DES output block', dst, dstOff, BLOCK);
    // Words read and written in place: two fewer top-level functions (~13 JsVars), same time.
    let l = (src[srcOff] << 24) | (src[srcOff + 1] << 16) | (src[srcOff + 2] << 8) | src[srcOff + 3];
    let r = (src[srcOff + 4] << 24) | (src[srcOff + 5] << 16) | (src[srcOff + 6] << 8) | src[srcOff + 7];
    // IP
    let t = ((l >>> 4) ^ r) & 0x0f0f0f0f;
    r ^= t;
    l ^= t << 4;
    t = ((l >>> 16) ^ r) & 0x0000ffff;
    r ^= t;
    l ^= t << 16;
    t = ((r >>> 2) ^ l) & 0x33333333;
    l ^= t;
    r ^= t << 2;
    t = ((r >>> 8) ^ l) & 0x00ff00ff;
    l ^= t;
    r ^= t << 8;
    t = ((l >>> 1) ^ r) & 0x55555555;
    r ^= t;
    l ^= t << 1;
    // Both halves rotated right by one: f then reads R's E groups without rotating per round.
    l = (l >>> 1) | (l << 31);
    r = (r >>> 1) | (r << 31);
    // Locals in the order of use: Espruino finds a name by walking the scope's list.
    let w = 0;
    let x = 0;
    const sp = this.tables.sp;
    const s0 = sp[0];
    const s1 = sp[1];
    const s2 = sp[2];
    const s3 = sp[3];
    const s4 = sp[4];
    const s5 = sp[5];
    const s6 = sp[6];
    const s7 = sp[7];
    // The 16 rounds written out (Espruino interprets every token: no loop counter, no index
    // arithmetic; ~13% of a block). The halves trade roles instead of places.
    w = r ^ k[0];
    x = ((r << 4) | (r >>> 28)) ^ k[1];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[2];
    x = ((l << 4) | (l >>> 28)) ^ k[3];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = r ^ k[4];
    x = ((r << 4) | (r >>> 28)) ^ k[5];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[6];
    x = ((l << 4) | (l >>> 28)) ^ k[7];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = r ^ k[8];
    x = ((r << 4) | (r >>> 28)) ^ k[9];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[10];
    x = ((l << 4) | (l >>> 28)) ^ k[11];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = r ^ k[12];
    x = ((r << 4) | (r >>> 28)) ^ k[13];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[14];
    x = ((l << 4) | (l >>> 28)) ^ k[15];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = r ^ k[16];
    x = ((r << 4) | (r >>> 28)) ^ k[17];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[18];
    x = ((l << 4) | (l >>> 28)) ^ k[19];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = r ^ k[20];
    x = ((r << 4) | (r >>> 28)) ^ k[21];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[22];
    x = ((l << 4) | (l >>> 28)) ^ k[23];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = r ^ k[24];
    x = ((r << 4) | (r >>> 28)) ^ k[25];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[26];
    x = ((l << 4) | (l >>> 28)) ^ k[27];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = r ^ k[28];
    x = ((r << 4) | (r >>> 28)) ^ k[29];
    l ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    w = l ^ k[30];
    x = ((l << 4) | (l >>> 28)) ^ k[31];
    r ^= s0[w >>> 26] | s2[(w >>> 18) & 63] | s4[(w >>> 10) & 63] | s6[(w >>> 2) & 63] | s1[x >>> 26] | s3[(x >>> 18) & 63] | s5[(x >>> 10) & 63] | s7[(x >>> 2) & 63];
    l = (l << 1) | (l >>> 31);
    r = (r << 1) | (r >>> 31);
    // The preoutput is R16 || L16; IP^-1 is the swaps of IP in reverse order.
    t = r;
    r = l;
    l = t;
    t = ((l >>> 1) ^ r) & 0x55555555;
    r ^= t;
    l ^= t << 1;
    t = ((r >>> 8) ^ l) & 0x00ff00ff;
    l ^= t;
    r ^= t << 8;
    t = ((r >>> 2) ^ l) & 0x33333333;
    l ^= t;
    r ^= t << 2;
    t = ((l >>> 16) ^ r) & 0x0000ffff;
    r ^= t;
    l ^= t << 16;
    t = ((l >>> 4) ^ r) & 0x0f0f0f0f;
    r ^= t;
    l ^= t << 4;
    dst[dstOff] = l >>> 24;
    dst[dstOff + 1] = l >>> 16;
    dst[dstOff + 2] = l >>> 8;
    dst[dstOff + 3] = l;
    dst[dstOff + 4] = r >>> 24;
    dst[dstOff + 5] = r >>> 16;
    dst[dstOff + 6] = r >>> 8;
    dst[dstOff + 7] = r;
  }
}

/** Triple DES EDE (core/crypto/triple-des.ts) on WordDes; twoKeyOnly: 16-byte keys only, two engines. */
export class WordTripleDes extends TripleDes {
  constructor(tables: DesTables, twoKeyOnly: boolean) {
    super(() => new WordDes(tables), twoKeyOnly);
  }
}
