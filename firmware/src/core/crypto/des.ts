/**
 * DES (FIPS 46-3) and two/three-key Triple DES EDE (NIST SP 800-67), for PBOC e-purse MACs and
 * session keys (JR/T 0025 e-purse security). Byte-oriented: blocks are bytes, the key schedule uses 28-bit
 * halves, rounds use byte-wide SP tables; nothing reaches 2^31 (docs/portable-core.md).
 */
import { shr } from '../bits';
import { fill } from '../bytes';
import { BlockCipher, assertRange } from './block-cipher';
import { decimalTable, KEY_SHIFTS, PC1, permutationP, permutedChoice2, sBox, sBoxes } from './_des-tables';
import { TripleDes } from './triple-des';

const BLOCK = 8;
const ROUNDS = 16;
const HALF_MASK = 0x0fffffff; // 28 bits

/** Initial permutation IP. */
const IP = decimalTable(
  '58 50 42 34 26 18 10 02 60 52 44 36 28 20 12 04 62 54 46 38 30 22 14 06 64 56 48 40 32 24 16 08 ' +
    '57 49 41 33 25 17 09 01 59 51 43 35 27 19 11 03 61 53 45 37 29 21 13 05 63 55 47 39 31 23 15 07 ',
  64,
);

/** IP^-1, the inverse of IP. */
const FP = new Uint8Array(64);
for (let i = 0; i < 64; i++) FP[IP[i] - 1] = i + 1;

/**
 * SP[(j * 64 + x) * 4 .. +3]: the 32-bit value P(S_j(x) placed at output bits 4j+1..4j+4), as
 * four big-endian bytes, so a round is eight lookups and byte XORs with no 32-bit word.
 */
const SP = new Uint8Array(8 * 64 * 4);
const P = permutationP();
const PC2 = permutedChoice2();
const S_BOXES = sBoxes();
for (let j = 0; j < 8; j++) {
  for (let x = 0; x < 64; x++) {
    const s = sBox(S_BOXES, j, x);
    for (let i = 0; i < 32; i++) {
      const q = P[i] - 1; // output bit i (0-based) takes pre-P bit q
      if (shr(q, 2) === j && (shr(s, 3 - (q & 3)) & 1) !== 0) {
        const at = (j * 64 + x) * 4 + shr(i, 3);
        SP[at] = SP[at] | shr(0x80, i & 7);
      }
    }
  }
}

/** Bit `bit` (0-based, MSB first) of buf[off..]. */
function bitAt(buf: Uint8Array, off: number, bit: number): number {
  return shr(buf[off + shr(bit, 3)], 7 - (bit & 7)) & 1;
}

/** dst bits 0..n-1 = src bits table[i]-1 (tables are 1-based, FIPS 46-3). */
function permute(src: Uint8Array, srcOff: number, table: Uint8Array, n: number, dst: Uint8Array, dstOff: number): void {
  fill(dst, dstOff, shr(n + 7, 3), 0);
  for (let i = 0; i < n; i++) {
    if (bitAt(src, srcOff, table[i] - 1) !== 0) {
      const at = dstOff + shr(i, 3);
      dst[at] = dst[at] | shr(0x80, i & 7);
    }
  }
}

/** Nibble n (0..7, most significant first) of the right half held in block[4..7]. */
function rightNibble(block: Uint8Array, n: number): number {
  const b = block[4 + shr(n, 1)];
  return (n & 1) === 0 ? shr(b, 4) : b & 0x0f;
}

export class SoftDes implements BlockCipher {
  readonly blockSize = BLOCK;
  /** Round keys: 16 rounds x 8 six-bit groups, one per S-box. */
  private readonly roundKeys = new Uint8Array(ROUNDS * 8);
  /** L (bytes 0..3) and R (bytes 4..7) between IP and IP^-1. */
  private readonly work = new Uint8Array(BLOCK);
  private keyed = false;

  setKey(key: Uint8Array, off: number, len: number): void {
    if (len !== 8) throw new Error(`DES key: expected 8 bytes, got ${len}`);
    assertRange('DES key', key, off, len);
    // Key schedule (FIPS 46-3 Appendix 1); parity bits are ignored by PC-1.
    let c = 0;
    let d = 0;
    for (let i = 0; i < 28; i++) {
      c = (c << 1) | bitAt(key, off, PC1[i] - 1);
      d = (d << 1) | bitAt(key, off, PC1[i + 28] - 1);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const s = KEY_SHIFTS[round];
      c = ((c << s) | shr(c, 28 - s)) & HALF_MASK;
      d = ((d << s) | shr(d, 28 - s)) & HALF_MASK;
      for (let j = 0; j < 8; j++) {
        let group = 0;
        for (let m = 0; m < 6; m++) {
          const p = PC2[6 * j + m]; // 1..56 over C||D
          const bit = p <= 28 ? shr(c, 28 - p) & 1 : shr(d, 56 - p) & 1;
          group = (group << 1) | bit;
        }
        this.roundKeys[8 * round + j] = group;
      }
    }
    this.keyed = true;
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.crypt(src, srcOff, dst, dstOff, false);
  }

  /** Decryption is the same network with the round keys in reverse order. */
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    this.crypt(src, srcOff, dst, dstOff, true);
  }

  wipe(): void {
    fill(this.roundKeys, 0, ROUNDS * 8, 0);
    fill(this.work, 0, BLOCK, 0);
    this.keyed = false;
  }

  private crypt(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, decrypt: boolean): void {
    if (!this.keyed) throw new Error('DES: no key set');
    assertRange('DES input block', src, srcOff, BLOCK);
    assertRange('DES output block', dst, dstOff, BLOCK);
    const w = this.work;
    const ks = this.roundKeys;
    permute(src, srcOff, IP, 64, w, 0);
    for (let round = 0; round < ROUNDS; round++) {
      const k = 8 * (decrypt ? ROUNDS - 1 - round : round);
      // f(R, K) = P(S(E(R) xor K)); E(R) group j is bit 4j-1 .. 4j+4 of R (wrapping), i.e. the
      // last bit of nibble j-1, nibble j, and the first bit of nibble j+1.
      let f0 = 0;
      let f1 = 0;
      let f2 = 0;
      let f3 = 0;
      for (let j = 0; j < 8; j++) {
        const before = rightNibble(w, (j + 7) & 7);
        const after = rightNibble(w, (j + 1) & 7);
        const x = (((before & 1) << 5) | (rightNibble(w, j) << 1) | shr(after, 3)) ^ ks[k + j];
        const at = (j * 64 + x) * 4;
        f0 = f0 ^ SP[at];
        f1 = f1 ^ SP[at + 1];
        f2 = f2 ^ SP[at + 2];
        f3 = f3 ^ SP[at + 3];
      }
      // L' = R, R' = L xor f
      const l0 = w[0];
      const l1 = w[1];
      const l2 = w[2];
      const l3 = w[3];
      w[0] = w[4];
      w[1] = w[5];
      w[2] = w[6];
      w[3] = w[7];
      w[4] = l0 ^ f0;
      w[5] = l1 ^ f1;
      w[6] = l2 ^ f2;
      w[7] = l3 ^ f3;
    }
    // The preoutput is R16 || L16: undo the last swap, then IP^-1.
    for (let i = 0; i < 4; i++) {
      const t = w[i];
      w[i] = w[4 + i];
      w[4 + i] = t;
    }
    permute(w, 0, FP, 64, dst, dstOff);
  }
}

/** Triple DES EDE on SoftDes (triple-des.ts). */
export class SoftTripleDes extends TripleDes {
  constructor() {
    super(() => new SoftDes(), false);
  }
}
