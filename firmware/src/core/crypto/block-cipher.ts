/**
 * The block cipher seam of the portable core. Modes (cbc.ts), MACs (cmac.ts) and key derivation
 * (kdf.ts) take a `BlockCipher`, so a board can plug in a native primitive (Espruino's
 * `crypto.AES` in ECB mode) where the pure-TypeScript SoftAes would be slow.
 */

export interface BlockCipher {
  /** Block length in bytes: 16 for AES, 8 for DES. */
  readonly blockSize: number;
  /**
   * Takes key[off .. off+len). Throws an Error naming the expected and actual length before any
   * key state changes, so a bad key leaves the previous key in force.
   */
  setKey(key: Uint8Array, off: number, len: number): void;
  /** One block from src[srcOff..] to dst[dstOff..]; src and dst may be the same range. */
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
  /** Zeroes the key schedule and scratch; block operations then throw until setKey. */
  wipe(): void;
  /**
   * Optional whole-block CBC, for a cipher that does many blocks in one call (a board's native
   * AES): the modes (cbc.ts) and CMAC (cmac.ts) use these when present and go block by block
   * otherwise. len is a multiple of blockSize and above 0.
   */
  /** CBC encryption of src[srcOff..+len) under iv[ivOff..], keeping only the last block: into iv. */
  cbcMac?(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number): void;
  /** CBC encryption of src[srcOff..+len) under iv[ivOff..] to dst[dstOff..]; dst may be src. */
  cbcEncrypt?(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void;
  /** CBC decryption of src[srcOff..+len) under iv[ivOff..] to dst[dstOff..]; dst may be src. */
  cbcDecrypt?(iv: Uint8Array, ivOff: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void;
}

/** Makes a fresh, unkeyed cipher (one per role, created at boot). */
export type CipherFactory = () => BlockCipher;

/** Throws unless buf[off .. off+len) lies inside buf. `what` names the argument in the message. */
export function assertRange(what: string, buf: Uint8Array, off: number, len: number): void {
  if (off < 0 || len < 0 || off + len > buf.length) {
    throw new Error(`${what}: range ${off}+${len} does not fit a buffer of ${buf.length} bytes`);
  }
}
