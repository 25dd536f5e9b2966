/**
 * ISD key diversification: a per-SE SCP03 key set from the platform master key (KMC) and the SE's
 * key diversification data (KDD, the 10 bytes INITIALIZE UPDATE returns first; in tapcard the SE
 * serial). The platform's provisioning and `tapcard gp` both use this one function.
 *
 * Scheme: the "KDF3" diversification of GlobalPlatformPro (PlaintextKeys.diversify with
 * Diversification.KDF3, checked on its TestSCP03.testKDF3 vector): NIST SP 800-108 KDF in counter
 * mode with AES-CMAC as PRF, the same PRF as the SCP03 session keys (AmdD 4.1.5), but with its own
 * fixed input so that a card key can never equal a session key:
 *
 *   K_purpose = first |KMC| bytes of  CMAC(KMC, i || 00 00 00 p 00 || KDD),  i = 01, 02, ...
 *   p = 01 for K-ENC, 02 for K-MAC, 03 for K-DEK
 *
 * The diversified keys have the master key's length (16, 24 or 32 bytes).
 */
import { copy, fill } from '../bytes';
import { Cmac } from '../crypto/cmac';

export const DIVERSIFY_ENC = 1;
export const DIVERSIFY_MAC = 2;
export const DIVERSIFY_DEK = 3;

const PRF_BLOCK = 16;
const KDD_MAX_LEN = 64;

// Module scratch: diversification is synchronous and never re-entered.
const fixedInput = new Uint8Array(6);
const prfOut = new Uint8Array(PRF_BLOCK);

/** -1 unless master is an AES key, kdd[kddOff..+kddLen) a KDD in range and mac an AES-CMAC; else the key length. */
function checkInputs(mac: Cmac, master: Uint8Array, kdd: Uint8Array, kddOff: number, kddLen: number): number {
  const n = master.length;
  if (mac.size !== PRF_BLOCK || (n !== 16 && n !== 24 && n !== 32)) return -1;
  if (kddLen < 1 || kddLen > KDD_MAX_LEN || kddOff < 0 || kddOff + kddLen > kdd.length) return -1;
  return n;
}

/**
 * K_purpose into out[outOff..+n) under the master key `mac`'s cipher holds. sameKey: the CMAC
 * subkeys of that key are already in `mac` (an earlier purpose under the same key set them).
 */
function derive(mac: Cmac, n: number, purpose: number, kdd: Uint8Array, kddOff: number, kddLen: number, out: Uint8Array, outOff: number, sameKey: boolean): void {
  fill(fixedInput, 0, fixedInput.length, 0);
  fixedInput[4] = purpose;
  let done = 0;
  for (let i = 1; done < n; i++) {
    fixedInput[0] = i;
    if (sameKey || i > 1) mac.startSameKey();
    else mac.start();
    mac.update(fixedInput, 0, fixedInput.length);
    mac.update(kdd, kddOff, kddLen);
    mac.finish(prfOut, 0);
    const take = n - done < PRF_BLOCK ? n - done : PRF_BLOCK;
    copy(prfOut, 0, out, outOff + done, take);
    done += take;
  }
  fill(prfOut, 0, PRF_BLOCK, 0);
}

/**
 * Writes the diversified key for `purpose` (DIVERSIFY_ENC/MAC/DEK) to out[outOff..+master.length].
 * `mac` wraps an AES cipher; it is keyed with the master key here and wiped afterwards. Returns
 * the key length, or -1 for a bad master key length, purpose, KDD or output range.
 */
export function diversifyKey(
  mac: Cmac,
  master: Uint8Array,
  purpose: number,
  kdd: Uint8Array,
  kddOff: number,
  kddLen: number,
  out: Uint8Array,
  outOff: number,
): number {
  const n = checkInputs(mac, master, kdd, kddOff, kddLen);
  if (n < 0) return -1;
  if (purpose !== DIVERSIFY_ENC && purpose !== DIVERSIFY_MAC && purpose !== DIVERSIFY_DEK) return -1;
  if (outOff < 0 || outOff + n > out.length) return -1;
  mac.cipher.setKey(master, 0, n);
  derive(mac, n, purpose, kdd, kddOff, kddLen, out, outOff, false);
  mac.wipe();
  mac.cipher.wipe();
  return n;
}

/**
 * The whole key set: K-ENC, K-MAC and K-DEK (diversifyKey's, each master.length bytes) to enc[0..],
 * macKey[0..] and dek[0..], keying the cipher with the master key once and deriving its CMAC
 * subkeys (RFC 4493 §2.3) once, not three times; `mac` and its cipher are wiped afterwards. Returns
 * the key length, or -1 as diversifyKey (nothing written then).
 */
export function diversifyKeySet(
  mac: Cmac,
  master: Uint8Array,
  kdd: Uint8Array,
  kddOff: number,
  kddLen: number,
  enc: Uint8Array,
  macKey: Uint8Array,
  dek: Uint8Array,
): number {
  const n = checkInputs(mac, master, kdd, kddOff, kddLen);
  if (n < 0 || enc.length < n || macKey.length < n || dek.length < n) return -1;
  mac.cipher.setKey(master, 0, n);
  derive(mac, n, DIVERSIFY_ENC, kdd, kddOff, kddLen, enc, 0, false);
  derive(mac, n, DIVERSIFY_MAC, kdd, kddOff, kddLen, macKey, 0, true);
  derive(mac, n, DIVERSIFY_DEK, kdd, kddOff, kddLen, dek, 0, true);
  mac.wipe();
  mac.cipher.wipe();
  return n;
}
