/**
 * PBOC / JR/T 0025 electronic deposit and purse crypto, 3DES variant (JR/T 0025 e-purse security): the DES
 * CBC-MAC used for MAC1/MAC2/TAC, session keys, the TAC key and key diversification.
 */
import { assertRange, type BlockCipher } from './block-cipher';

const BLOCK = 8;
/** Where PbocCrypto keeps the key each engine holds, and the engine's bit in `keyed` (1 << at). */
const KEPT_DES = 0;
const KEPT_TAC = 8;
const KEPT_TDES = 16;
const KEPT_LEN = 32;
/** Data below this length is MACed in one cbcMac call when the cipher has one: the purse's longest, the load TAC (24 bytes), and its padding. */
const PADDED_LEN = 32;
/** MAC1, MAC2 and TAC are the leftmost 4 bytes of the CBC-MAC (JR/T 0025 e-purse security). */
export const PBOC_MAC_LEN = 4;
export const PBOC_SESSION_KEY_LEN = 8;
export const PBOC_KEY_LEN = 16;

/** TAC key = DTK[0..7] xor DTK[8..15] (JR/T 0025 e-purse security). */
export function pbocTacKey(dtk: Uint8Array, off: number, out: Uint8Array, outOff: number): void {
  // assertRange called only to throw: on Espruino a call and its string cost ~6 units, a debit checks ~12 ranges
  if (off < 0 || off + PBOC_KEY_LEN > dtk.length) assertRange('PBOC DTK', dtk, off, PBOC_KEY_LEN);
  if (outOff < 0 || outOff + BLOCK > out.length) assertRange('PBOC TAC key output', out, outOff, BLOCK);
  // written out: on Espruino a loop's counter and test cost more than the XORs
  out[outOff] = dtk[off] ^ dtk[off + 8];
  out[outOff + 1] = dtk[off + 1] ^ dtk[off + 9];
  out[outOff + 2] = dtk[off + 2] ^ dtk[off + 10];
  out[outOff + 3] = dtk[off + 3] ^ dtk[off + 11];
  out[outOff + 4] = dtk[off + 4] ^ dtk[off + 12];
  out[outOff + 5] = dtk[off + 5] ^ dtk[off + 13];
  out[outOff + 6] = dtk[off + 6] ^ dtk[off + 14];
  out[outOff + 7] = dtk[off + 7] ^ dtk[off + 15];
}

/**
 * Holds the DES engines and one block of scratch. The engines are given: the portable
 * SoftDes/SoftTripleDes (soft-pboc.ts), or a board's faster ones.
 *
 * Key schedules in RAM: without `tacDes` (hosts: issuers, terminals, tests) every key is wiped
 * after every operation. With it (a card), schedules are kept: the session-key MAC engine until
 * endSession(), the 3DES engine (DPK/DLK) and the TAC engine until forget(), so a tap does one
 * key schedule (its session key) instead of five. A kept schedule gives the key back to whoever
 * reads the RAM; the card's keys are in its flash in clear anyway (docs/board.md "Keys in RAM").
 */
export class PbocCrypto {
  private readonly des: BlockCipher;
  private readonly tdes: BlockCipher;
  private readonly tacDes: BlockCipher;
  private readonly keep: boolean;
  /** The key each engine holds: des at KEPT_DES, tacDes at KEPT_TAC, tdes at KEPT_TDES. */
  private readonly kept = new Uint8Array(KEPT_LEN);
  /** Which of them hold a key: bit 1 << at for the engine whose key is kept at `at`. */
  private keyed = 0;
  private readonly block = new Uint8Array(BLOCK);
  /**
   * A MAC's data and padding for a cipher with cbcMac (macWith). A caller may write a MAC's data
   * at message[0..len) and pass `message` itself as the data of mac() or tac(): it is padded in
   * place, nothing is copied (the purse's MACs on the card, purse-crypto.ts). Holds no secret
   * (amounts, terminal ids, dates).
   */
  readonly message = new Uint8Array(PADDED_LEN);
  private readonly tacKey = new Uint8Array(BLOCK);

  /** des: single DES; tripleDes: Triple DES EDE taking 16-byte keys; tacDes: a second single DES, for the TAC key (keeps schedules, above). */
  constructor(des: BlockCipher, tripleDes: BlockCipher, tacDes?: BlockCipher) {
    this.des = des;
    this.tdes = tripleDes;
    this.keep = tacDes !== undefined;
    // A host's TAC goes through `des`: it holds no key between operations anyway.
    this.tacDes = tacDes === undefined ? des : tacDes;
  }

  /**
   * Single-DES CBC-MAC of data[0 .. len) with the 8-byte key at key[0], ICV 00 x 8 and 80 00..
   * padding always added; writes the first 4 bytes to out[outOff..] (JR/T 0025 e-purse security).
   * Keys and data at offset 0: on Espruino each parameter costs a JsVar while the method is defined.
   */
  mac(key: Uint8Array, data: Uint8Array, len: number, out: Uint8Array, outOff: number): void {
    this.macWith(this.use(this.des, KEPT_DES, BLOCK, key), data, len, out, outOff);
    if (!this.keep) this.forget(); // hosts keep nothing between operations
  }

  /** The TAC: mac() under the TAC key DTK[0..7] xor DTK[8..15] of the 16-byte DTK at dtk[0] (JR/T 0025 e-purse security), into out[0..4). */
  tac(dtk: Uint8Array, data: Uint8Array, len: number, out: Uint8Array): void {
    pbocTacKey(dtk, 0, this.tacKey, 0);
    const des = this.use(this.tacDes, KEPT_TAC, BLOCK, this.tacKey);
    this.tacKey.fill(0, 0, BLOCK);
    this.macWith(des, data, len, out, 0);
    if (!this.keep) this.forget(); // hosts keep nothing between operations
  }

  /**
   * Session key = 3DES-EDE2-ECB(key16, input8), each at [0]: SESLK from DLK, SESPK from DPK (JR/T 0025 e-purse security).
   */
  sessionKey(key: Uint8Array, input: Uint8Array, out: Uint8Array): void {
    this.use(this.tdes, KEPT_TDES, PBOC_KEY_LEN, key).encryptBlock(input, 0, out, 0);
    if (!this.keep) this.forget(); // hosts keep nothing between operations
  }

  /**
   * Diversified 16-byte card key: left = 3DES-ECB(MK, D), right = 3DES-ECB(MK, D xor FF..FF), with
   * D the 8-byte diversification data at d[dOff] (JR/T 0025 / PBOC key dispersion; the PBOC worked
   * examples do not cover it); the master key at masterKey[0], the result at out[0]. out may be d
   * when dOff is 0.
   */
  diversify(masterKey: Uint8Array, d: Uint8Array, dOff: number, out: Uint8Array): void {
    assertRange('PBOC diversification data', d, dOff, BLOCK);
    assertRange('PBOC diversified key output', out, 0, PBOC_KEY_LEN);
    const tdes = this.use(this.tdes, KEPT_TDES, PBOC_KEY_LEN, masterKey);
    const inverted = this.block;
    for (let i = 0; i < BLOCK; i++) inverted[i] = d[dOff + i] ^ 0xff;
    tdes.encryptBlock(d, dOff, out, 0);
    tdes.encryptBlock(inverted, 0, out, BLOCK);
    inverted.fill(0, 0, BLOCK);
    if (!this.keep) this.forget(); // hosts keep nothing between operations
  }

  /** Forgets the session key's schedule (end of a transaction). */
  endSession(): void {
    this.drop(this.des, KEPT_DES, BLOCK);
  }

  /** Forgets every key schedule. */
  forget(): void {
    this.drop(this.des, KEPT_DES, BLOCK);
    this.drop(this.tacDes, KEPT_TAC, BLOCK);
    this.drop(this.tdes, KEPT_TDES, PBOC_KEY_LEN);
  }

  /**
   * The engine keyed with key[0 .. len): the key schedule runs only when that key is not the one
   * the engine holds (kept at kept[at..]), so a key used again (MAC1 then MAC2 under one session
   * key, a card's DPK and TAC key tap after tap) costs a compare instead of a schedule. len is
   * BLOCK or PBOC_KEY_LEN.
   */
  private use(cipher: BlockCipher, at: number, len: number, key: Uint8Array): BlockCipher {
    if (len > key.length) assertRange('PBOC key', key, 0, len); // throws (see pbocTacKey)
    const k = this.kept;
    const bit = 1 << at;
    // Whole-length compare: how long it takes does not depend on where the keys differ. None for
    // an engine without a key (a card's session-key engine at every MAC1: endSession() dropped it).
    // Written out: on Espruino ~2 loop units a byte where the loop took ~3.5.
    let diff = (this.keyed & bit) === 0 ? 1 : 0;
    if (diff === 0) {
      diff = (k[at] ^ key[0]) | (k[at + 1] ^ key[1]) | (k[at + 2] ^ key[2]) | (k[at + 3] ^ key[3]) | (k[at + 4] ^ key[4]) | (k[at + 5] ^ key[5]) | (k[at + 6] ^ key[6]) | (k[at + 7] ^ key[7]);
      if (len > BLOCK) {
        diff = diff | (k[at + 8] ^ key[8]) | (k[at + 9] ^ key[9]) | (k[at + 10] ^ key[10]) | (k[at + 11] ^ key[11]) | (k[at + 12] ^ key[12]) | (k[at + 13] ^ key[13]) | (k[at + 14] ^ key[14]) | (k[at + 15] ^ key[15]);
      }
    }
    if (diff !== 0) {
      this.keyed = this.keyed - (this.keyed & bit);
      cipher.setKey(key, 0, len);
      k.set(key.subarray(0, len), at);
      this.keyed = this.keyed | bit;
    }
    return cipher;
  }

  private drop(cipher: BlockCipher, at: number, len: number): void {
    cipher.wipe();
    this.kept.fill(0, at, at + len);
    const bit = 1 << at;
    this.keyed = this.keyed - (this.keyed & bit);
  }

  private macWith(des: BlockCipher, data: Uint8Array, len: number, out: Uint8Array, outOff: number): void {
    if (len < 0 || len > data.length) assertRange('PBOC MAC data', data, 0, len); // throws (see pbocTacKey)
    if (outOff < 0 || outOff + PBOC_MAC_LEN > out.length) assertRange('PBOC MAC output', out, outOff, PBOC_MAC_LEN);
    const x = this.block;
    // the views' own fill and set (native on Espruino) where the byte helpers add a call each
    x.fill(0, 0, BLOCK);
    if (des.cbcMac !== undefined && len < PADDED_LEN) {
      // A cipher that chains blocks itself (a board's): the data and its padding (80 then zeros)
      // in one buffer, one call. The MAC data is no secret (amounts, terminal ids, dates).
      const p = this.message;
      const n = len + BLOCK - (len % BLOCK);
      if (len > 0 && data !== p) p.set(data.subarray(0, len), 0);
      p[len] = 0x80;
      p.fill(0, len + 1, n);
      des.cbcMac(x, 0, p, 0, n);
    } else {
      for (let i = 0; i < len; i++) {
        const at = i % BLOCK;
        x[at] = x[at] ^ data[i];
        if (at === BLOCK - 1) des.encryptBlock(x, 0, x, 0);
      }
      // The padding block: 80 then zeros, and XOR with zero changes nothing.
      const tail = len % BLOCK;
      x[tail] = x[tail] ^ 0x80;
      des.encryptBlock(x, 0, x, 0);
    }
    out[outOff] = x[0];
    out[outOff + 1] = x[1];
    out[outOff + 2] = x[2];
    out[outOff + 3] = x[3];
    x.fill(0, 0, BLOCK);
  }
}
