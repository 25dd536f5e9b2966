/**
 * PBOC / JR/T 0025 electronic deposit and purse crypto, 3DES variant (JR/T 0025 e-purse security): the DES
 * CBC-MAC used for MAC1/MAC2/TAC, session keys, the TAC key and key diversification.
 */
import { fill } from '../bytes';
import { assertRange, type BlockCipher } from './block-cipher';

const BLOCK = 8;
/** MAC1, MAC2 and TAC are the leftmost 4 bytes of the CBC-MAC (JR/T 0025 e-purse security). */
export const PBOC_MAC_LEN = 4;
export const PBOC_SESSION_KEY_LEN = 8;
export const PBOC_KEY_LEN = 16;

/** TAC key = DTK[0..7] xor DTK[8..15] (JR/T 0025 e-purse security). */
export function pbocTacKey(dtk: Uint8Array, off: number, out: Uint8Array, outOff: number): void {
  assertRange('PBOC DTK', dtk, off, PBOC_KEY_LEN);
  assertRange('PBOC TAC key output', out, outOff, BLOCK);
  for (let i = 0; i < BLOCK; i++) out[outOff + i] = dtk[off + i] ^ dtk[off + BLOCK + i];
}

/**
 * Holds the DES engines and one block of scratch; keys are wiped after every operation. The
 * engines are given: the portable SoftDes/SoftTripleDes (soft-pboc.ts), or a board's faster ones.
 */
export class PbocCrypto {
  private readonly des: BlockCipher;
  private readonly tdes: BlockCipher;
  private readonly block = new Uint8Array(BLOCK);

  /** des: single DES; tripleDes: Triple DES EDE taking 16-byte keys. */
  constructor(des: BlockCipher, tripleDes: BlockCipher) {
    this.des = des;
    this.tdes = tripleDes;
  }

  /**
   * Single-DES CBC-MAC of data[off .. off+len) with the 8-byte key at key[keyOff], ICV 00 x 8 and
   * 80 00.. padding always added; writes the first 4 bytes to out[outOff..] (JR/T 0025 e-purse security).
   */
  mac(key: Uint8Array, keyOff: number, data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
    assertRange('PBOC MAC data', data, off, len);
    assertRange('PBOC MAC output', out, outOff, PBOC_MAC_LEN);
    this.des.setKey(key, keyOff, BLOCK);
    const x = this.block;
    fill(x, 0, BLOCK, 0);
    for (let i = 0; i < len; i++) {
      const at = i % BLOCK;
      x[at] = x[at] ^ data[off + i];
      if (at === BLOCK - 1) this.des.encryptBlock(x, 0, x, 0);
    }
    // The padding block: 80 then zeros, and XOR with zero changes nothing.
    const tail = len % BLOCK;
    x[tail] = x[tail] ^ 0x80;
    this.des.encryptBlock(x, 0, x, 0);
    for (let i = 0; i < PBOC_MAC_LEN; i++) out[outOff + i] = x[i];
    this.clear();
  }

  /**
   * Session key = 3DES-EDE2-ECB(key16, input8): SESLK from DLK, SESPK from DPK (JR/T 0025 e-purse security).
   */
  sessionKey(key: Uint8Array, keyOff: number, input: Uint8Array, inOff: number, out: Uint8Array, outOff: number): void {
    this.tdes.setKey(key, keyOff, PBOC_KEY_LEN);
    this.tdes.encryptBlock(input, inOff, out, outOff);
    this.clear();
  }

  /**
   * Diversified 16-byte card key: left = 3DES-ECB(MK, D), right = 3DES-ECB(MK, D xor FF..FF), with
   * D the 8-byte diversification data (JR/T 0025 / PBOC key dispersion; the PBOC worked examples do not cover
   * it). out may start at d.
   */
  diversify(masterKey: Uint8Array, mkOff: number, d: Uint8Array, dOff: number, out: Uint8Array, outOff: number): void {
    assertRange('PBOC diversification data', d, dOff, BLOCK);
    assertRange('PBOC diversified key output', out, outOff, PBOC_KEY_LEN);
    this.tdes.setKey(masterKey, mkOff, PBOC_KEY_LEN);
    const inverted = this.block;
    for (let i = 0; i < BLOCK; i++) inverted[i] = d[dOff + i] ^ 0xff;
    this.tdes.encryptBlock(d, dOff, out, outOff);
    this.tdes.encryptBlock(inverted, 0, out, outOff + BLOCK);
    this.clear();
  }

  private clear(): void {
    this.des.wipe();
    this.tdes.wipe();
    fill(this.block, 0, BLOCK, 0);
  }
}
