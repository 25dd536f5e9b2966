/**
 * Key check values (docs/standards.md "Keys"; GPPro GPCrypto.kcv_aes / kcv_3des): the first 3 bytes of the
 * key's encryption of a fixed block. Log these, never keys.
 */
import { fill } from '../bytes';
import { BlockCipher, assertRange } from './block-cipher';

export const KCV_LEN = 3;

// Module scratch: KCVs are computed synchronously, never re-entered.
const block = new Uint8Array(16);

function kcv(cipher: BlockCipher, blockSize: number, fillByte: number, out: Uint8Array, outOff: number): void {
  if (cipher.blockSize !== blockSize) {
    throw new Error(`KCV: expected a cipher with ${blockSize}-byte blocks, got ${cipher.blockSize}`);
  }
  assertRange('KCV output', out, outOff, KCV_LEN);
  fill(block, 0, blockSize, fillByte);
  cipher.encryptBlock(block, 0, block, 0);
  for (let i = 0; i < KCV_LEN; i++) out[outOff + i] = block[i];
  fill(block, 0, blockSize, 0);
}

/** AES KCV: encrypt 16 x 01 under the cipher's current key. */
export function kcvAes(cipher: BlockCipher, out: Uint8Array, outOff: number): void {
  kcv(cipher, 16, 0x01, out, outOff);
}

/** 3DES (or DES) KCV: encrypt 8 x 00 under the cipher's current key. */
export function kcv3Des(cipher: BlockCipher, out: Uint8Array, outOff: number): void {
  kcv(cipher, 8, 0x00, out, outOff);
}
