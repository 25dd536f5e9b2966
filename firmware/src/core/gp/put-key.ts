/**
 * PUT KEY for an SCP03 key set (GPCS 11.8; AmdD 6.2.8): adds a key set (P1 00) or
 * replaces key set P1, three AES keys ENC, MAC, DEK with identifiers 1, 2, 3.
 *
 *   80 D8 P1 81 Lc  newKVN || keyData(ENC) || keyData(MAC) || keyData(DEK)  00
 *   keyData = 88 | L | keyLength | E(K-DEK, key || pad) | 03 | KCV        (L = 1 + encrypted length)
 *
 * P2 81: several keys, the first with identifier 1 (GPCS Table 11-66). Key values are encrypted
 * under the static K-DEK, AES-CBC with a zero ICV (AmdD 6.2.8); the key component block starts
 * with the clear key length (GPCS Table 11-70), and a 24-byte key is padded with 8 zero bytes to a
 * whole block. KCV = first 3 bytes of E(key, 16 x 01) (GPCS Annex H.1; docs/standards.md "Keys"; kcv.ts). The card answers
 * newKVN || KCV(ENC) || KCV(MAC) || KCV(DEK).
 */
import { copy, equalBytes, fill } from '../bytes';
import { BlockCipher } from '../crypto/block-cipher';
import { KCV_LEN, kcvAes } from '../crypto/kcv';
import { CLA_GP, INS_PUT_KEY, KEY_TYPE_AES, P2_PUT_KEY_MULTIPLE } from './constants';
import { finishCase4, startCommand } from './_lv';

/** What encrypts key values under K-DEK: Scp03HostSession.encryptWithDek. */
export interface DekEncryptor {
  encryptWithDek(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): number;
}

const AES_BLOCK = 16;
const KEYS_IN_SET = 3;
const FIRST_KEY_ID = 1;
const KVN_MAX = 0x7f;

// Module scratch for the padded clear key: synchronous, never re-entered, wiped after each key.
const padded = new Uint8Array(32);

/**
 * Writes the PUT KEY command (layout above). kcvCipher is any unkeyed AES BlockCipher; it is keyed
 * with each new key in turn and wiped. Returns the APDU length, or -1 for bad arguments, a failed
 * encryption or a too small out.
 */
export function buildPutKeySet(
  replaceKvn: number,
  newKvn: number,
  enc: Uint8Array,
  mac: Uint8Array,
  dek: Uint8Array,
  encryptor: DekEncryptor,
  kcvCipher: BlockCipher,
  out: Uint8Array,
): number {
  const n = enc.length;
  if ((n !== 16 && n !== 24 && n !== 32) || mac.length !== n || dek.length !== n) return -1;
  if (replaceKvn < 0 || replaceKvn > KVN_MAX || newKvn < 1 || newKvn > KVN_MAX) return -1;
  let o = startCommand(out, CLA_GP, INS_PUT_KEY, replaceKvn, P2_PUT_KEY_MULTIPLE | FIRST_KEY_ID);
  if (o < 0) return -1;
  out[o++] = newKvn;
  o = putKeyData(enc, encryptor, kcvCipher, out, o);
  o = putKeyData(mac, encryptor, kcvCipher, out, o);
  o = putKeyData(dek, encryptor, kcvCipher, out, o);
  return o < 0 ? -1 : finishCase4(out, o);
}

function putKeyData(key: Uint8Array, encryptor: DekEncryptor, kcvCipher: BlockCipher, out: Uint8Array, off: number): number {
  if (off < 0) return -1;
  const n = key.length;
  const cipherLen = n % AES_BLOCK === 0 ? n : n + AES_BLOCK - (n % AES_BLOCK);
  const fieldLen = 3 + cipherLen + 1 + KCV_LEN;
  if (off + fieldLen > out.length) return -1;
  let o = off;
  out[o++] = KEY_TYPE_AES;
  out[o++] = 1 + cipherLen;
  out[o++] = n;
  copy(key, 0, padded, 0, n);
  fill(padded, n, cipherLen - n, 0);
  const written = encryptor.encryptWithDek(padded, 0, cipherLen, out, o);
  fill(padded, 0, padded.length, 0);
  if (written !== cipherLen) return -1;
  o += cipherLen;
  out[o++] = KCV_LEN;
  kcvCipher.setKey(key, 0, n);
  kcvAes(kcvCipher, out, o);
  kcvCipher.wipe();
  return o + KCV_LEN;
}

/**
 * Checks the card's answer to a PUT KEY built by buildPutKeySet: newKVN followed by the three
 * KCVs the command carried. command is the plain (unwrapped) command; answer is the response data.
 */
export function putKeyAnswerMatches(command: Uint8Array, answer: Uint8Array, answerOff: number, answerLen: number): boolean {
  if (answerLen !== 1 + KEYS_IN_SET * KCV_LEN || command.length < 6) return false;
  if (answer[answerOff] !== command[5]) return false;
  const keyLen = command[8];
  const cipherLen = command[7] - 1;
  const fieldLen = 3 + cipherLen + 1 + KCV_LEN;
  if (keyLen < 1 || 6 + KEYS_IN_SET * fieldLen > command.length) return false;
  for (let k = 0; k < KEYS_IN_SET; k++) {
    const kcvAt = 6 + k * fieldLen + 3 + cipherLen + 1;
    if (!equalBytes(command, kcvAt, answer, answerOff + 1 + k * KCV_LEN, KCV_LEN)) return false;
  }
  return true;
}
