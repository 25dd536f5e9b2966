/**
 * DES tables (FIPS 46-3 §3 and Appendix 1), kept as text in the standard's layout and unpacked
 * into byte arrays; each DES engine builds its own round tables from them. Text keeps the source
 * small on Espruino, where an array literal of numbers costs far more memory than a string. The
 * tables only those builders read (P, PC-2, the S-boxes) are functions: on Espruino a string
 * inside a function body stays in flash until the call, a top-level table holds RAM for as long as
 * the firmware runs. Bit positions are 1-based, bit 1 = MSB.
 */
import { shr } from '../bits';

/** A table of 1-based bit positions, two decimal digits and a space each, as bytes. */
export function decimalTable(text: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  // Each entry is two decimal digits followed by one space.
  for (let i = 0; i < n; i++) out[i] = (text.charCodeAt(3 * i) - 48) * 10 + (text.charCodeAt(3 * i + 1) - 48);
  return out;
}

function hexDigit(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c <= 57 ? c - 48 : c - 87; // '0'..'9', 'a'..'f'
}

/** Permuted choice 1: key bits into C (first 28) and D (last 28). */
export const PC1 = decimalTable(
  '57 49 41 33 25 17 09 01 58 50 42 34 26 18 10 02 59 51 43 35 27 19 11 03 60 52 44 36 ' +
    '63 55 47 39 31 23 15 07 62 54 46 38 30 22 14 06 61 53 45 37 29 21 13 05 28 20 12 04 ',
  56,
);

/** Permuted choice 2: 48 of the 56 bits of C||D into a round key. */
export function permutedChoice2(): Uint8Array {
  return decimalTable(
    '14 17 11 24 01 05 03 28 15 06 21 10 23 19 12 04 26 08 16 07 27 20 13 02 ' +
      '41 52 31 37 47 55 30 40 51 45 33 48 44 49 39 56 34 53 46 42 50 36 29 32 ',
    48,
  );
}

/** Left rotations of C and D before each of the 16 rounds. */
export const KEY_SHIFTS = decimalTable('01 01 02 02 02 02 02 02 01 02 02 02 02 02 02 01 ', 16);

/** Permutation P applied to the S-box outputs. */
export function permutationP(): Uint8Array {
  return decimalTable('16 07 20 21 29 12 28 17 01 15 23 26 05 18 31 10 02 08 24 14 32 27 03 09 19 13 30 06 22 11 04 25 ', 32);
}

/**
 * S-boxes S1..S8 as one string (sBox reads it): each box 4 rows of 16 hex digits one after the
 * other (row = outer bits, column = inner 4 bits).
 */
export function sBoxes(): string {
  return (
    'e4d12fb83a6c59070f74e2d1a6cb953841e8d62bfc973a50fc8249175b3ea06d' +
    'f18e6b34972dc05a3d47f28ec01a69b50e7ba4d158c6932fd8a13f42b67c05e9' +
    'a09e63f51dc7b428d709346a285ecbf1d6498f30b12c5ae71ad069874fe3b52c' +
    '7de3069a1285bc4fd8b56f03472c1ae9a690cb7df13e52843f06a1d8945bc72e' +
    '2c417ab6853fd0e9eb2c47d150fa3986421bad78f9c5630eb8c71e2d6f09a453' +
    'c1af92680d34e75baf427c9561de0b389ef528c3704a1db6432c95fabe17608d' +
    '4b2ef08d3c975a61d0b7491ae35c2f8614bdc37eaf6805926bd814a7950fe23c' +
    'd2846fb1a93e50c71fd8a374c56b0e927b419ce206adf35821e74a8dfc90356b'
  );
}

/** S-box j (0..7) of the 6-bit input x (E-bit 1 of its group as bit 5): a 4-bit output; `boxes` from sBoxes(). */
export function sBox(boxes: string, j: number, x: number): number {
  const row = shr(x & 0x20, 4) | (x & 1);
  const col = shr(x, 1) & 0x0f;
  return hexDigit(boxes, j * 64 + row * 16 + col);
}
