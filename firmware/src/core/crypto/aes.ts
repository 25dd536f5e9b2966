/**
 * AES-128/192/256 (FIPS-197), byte-oriented so it means the same in JavaScript and in Lua with
 * 32-bit integers (docs/portable-core.md): S-box lookups and xtime, no 32-bit words.
 */
import { shr } from '../bits';
import { fill } from '../bytes';
import { BlockCipher, assertRange } from './block-cipher';

const BLOCK = 16;
const MAX_ROUND_KEY_BYTES = 240; // (14 + 1) rounds x 16 bytes, AES-256 (FIPS-197 §5.2)

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2.1). */
function xtime(b: number): number {
  return ((b << 1) ^ ((b & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
}

function rotl8(b: number, n: number): number {
  return ((b << n) | shr(b, 8 - n)) & 0xff;
}

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);

/**
 * Builds the S-box (FIPS-197 §5.1.1) once at load: walk p over all non-zero field elements as
 * powers of the generator 3 while q walks the matching inverses, then apply the affine map.
 */
function buildSboxes(): void {
  let p = 1;
  let q = 1;
  do {
    p = p ^ xtime(p); // p *= 3
    q = q ^ (q << 1); // q /= 3
    q = q ^ (q << 2);
    q = q ^ (q << 4);
    q = q & 0xff;
    if ((q & 0x80) !== 0) q = q ^ 0x09;
    const s = (q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63) & 0xff;
    SBOX[p] = s;
    INV_SBOX[s] = p;
  } while (p !== 1);
  SBOX[0] = 0x63; // 0 has no inverse; the affine map of 0 is 0x63
  INV_SBOX[0x63] = 0;
}
buildSboxes();

/** MixColumns on one column at state[c..c+3] (FIPS-197 §5.1.3). */
function mixColumn(s: Uint8Array, c: number): void {
  const a0 = s[c];
  const a1 = s[c + 1];
  const a2 = s[c + 2];
  const a3 = s[c + 3];
  const all = a0 ^ a1 ^ a2 ^ a3;
  s[c] = a0 ^ all ^ xtime(a0 ^ a1);
  s[c + 1] = a1 ^ all ^ xtime(a1 ^ a2);
  s[c + 2] = a2 ^ all ^ xtime(a2 ^ a3);
  s[c + 3] = a3 ^ all ^ xtime(a3 ^ a0);
}

/**
 * InvMixColumns (FIPS-197 §5.3.3) as a pre-multiplication by {04}x^2 + {05} followed by
 * MixColumns, which keeps the arithmetic to xtime.
 */
function invMixColumn(s: Uint8Array, c: number): void {
  const u = xtime(xtime(s[c] ^ s[c + 2]));
  const v = xtime(xtime(s[c + 1] ^ s[c + 3]));
  s[c] = s[c] ^ u;
  s[c + 1] = s[c + 1] ^ v;
  s[c + 2] = s[c + 2] ^ u;
  s[c + 3] = s[c + 3] ^ v;
  mixColumn(s, c);
}

export class SoftAes implements BlockCipher {
  readonly blockSize = BLOCK;
  private readonly roundKeys = new Uint8Array(MAX_ROUND_KEY_BYTES);
  private readonly state = new Uint8Array(BLOCK);
  private readonly shifted = new Uint8Array(BLOCK);
  /** Nr of FIPS-197 §5 (10, 12 or 14); 0 while no key is set. */
  private rounds = 0;

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 16 && len !== 24 && len !== 32) {
      throw new Error(`AES key: expected 16, 24 or 32 bytes, got ${len}`);
    }
    assertRange('AES key', key, off, len);
    const nk = Math.floor(len / 4);
    const rounds = nk + 6;
    const w = this.roundKeys;
    for (let i = 0; i < len; i++) w[i] = key[off + i];
    // KeyExpansion (FIPS-197 §5.2), one 4-byte word i at a time.
    let rcon = 1;
    const words = 4 * (rounds + 1);
    for (let i = nk; i < words; i++) {
      const prev = 4 * (i - 1);
      let t0 = w[prev];
      let t1 = w[prev + 1];
      let t2 = w[prev + 2];
      let t3 = w[prev + 3];
      if (i % nk === 0) {
        const first = t0; // RotWord, SubWord, Rcon
        t0 = SBOX[t1] ^ rcon;
        t1 = SBOX[t2];
        t2 = SBOX[t3];
        t3 = SBOX[first];
        rcon = xtime(rcon);
      } else if (nk > 6 && i % nk === 4) {
        t0 = SBOX[t0];
        t1 = SBOX[t1];
        t2 = SBOX[t2];
        t3 = SBOX[t3];
      }
      const back = 4 * (i - nk);
      w[4 * i] = w[back] ^ t0;
      w[4 * i + 1] = w[back + 1] ^ t1;
      w[4 * i + 2] = w[back + 2] ^ t2;
      w[4 * i + 3] = w[back + 3] ^ t3;
    }
    this.rounds = rounds;
  }

  /** Cipher (FIPS-197 §5.1). The state is a column-major byte array: s[r + 4c]. */
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.checkBlock(src, srcOff, dst, dstOff);
    const s = this.state;
    const t = this.shifted;
    const rk = this.roundKeys;
    for (let i = 0; i < BLOCK; i++) s[i] = src[srcOff + i] ^ rk[i];
    for (let round = 1; round <= this.rounds; round++) {
      // SubBytes and ShiftRows: row r moves left by r columns.
      for (let c = 0; c < 4; c++) {
        for (let r = 0; r < 4; r++) t[4 * c + r] = SBOX[s[4 * ((c + r) & 3) + r]];
      }
      if (round !== this.rounds) {
        for (let c = 0; c < BLOCK; c += 4) mixColumn(t, c);
      }
      const k = BLOCK * round;
      for (let i = 0; i < BLOCK; i++) s[i] = t[i] ^ rk[k + i];
    }
    for (let i = 0; i < BLOCK; i++) dst[dstOff + i] = s[i];
  }

  /** InvCipher (FIPS-197 §5.3). */
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.checkBlock(src, srcOff, dst, dstOff);
    const s = this.state;
    const t = this.shifted;
    const rk = this.roundKeys;
    const last = BLOCK * this.rounds;
    for (let i = 0; i < BLOCK; i++) s[i] = src[srcOff + i] ^ rk[last + i];
    for (let round = this.rounds - 1; round >= 0; round--) {
      // InvShiftRows and InvSubBytes: row r moves right by r columns.
      for (let c = 0; c < 4; c++) {
        for (let r = 0; r < 4; r++) t[4 * c + r] = INV_SBOX[s[4 * ((c - r + 4) & 3) + r]];
      }
      const k = BLOCK * round;
      for (let i = 0; i < BLOCK; i++) s[i] = t[i] ^ rk[k + i];
      if (round !== 0) {
        for (let c = 0; c < BLOCK; c += 4) invMixColumn(s, c);
      }
    }
    for (let i = 0; i < BLOCK; i++) dst[dstOff + i] = s[i];
  }

  wipe(): void {
    fill(this.roundKeys, 0, MAX_ROUND_KEY_BYTES, 0);
    fill(this.state, 0, BLOCK, 0);
    fill(this.shifted, 0, BLOCK, 0);
    this.rounds = 0;
  }

  private checkBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    if (this.rounds === 0) throw new Error('AES: no key set');
    assertRange('AES input block', src, srcOff, BLOCK);
    assertRange('AES output block', dst, dstOff, BLOCK);
  }
}
