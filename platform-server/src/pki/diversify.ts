/**
 * The SE's issuer-security-domain keys, diversified from the platform master key KMC over the SE
 * serial (ARCHITECTURE.md "Keys"). The scheme is the one `tapcard gp` uses too,
 * firmware/src/core/gp/diversify.ts: GlobalPlatformPro's "KDF3" (NIST SP 800-108 counter mode with
 * AES-CMAC, purpose constants 01 ENC / 02 MAC / 03 DEK, context = the KDD).
 *
 * The SE serial is what the SE returns as key diversification data in INITIALIZE UPDATE (its first
 * 10 bytes), so the platform, or `tapcard gp --kmc`, finds the keys of any SE it talks to.
 */
import { NodeAes } from '../../../net/crypto/node-aes';
import { Cmac } from '../../../firmware/src/core/crypto/cmac';
import { kcvAes } from '../../../firmware/src/core/crypto/kcv';
import { diversifyKeySet } from '../../../firmware/src/core/gp/diversify';

export const SE_SERIAL_LEN = 10;
/** Key version number of the ISD key set (GP: SCP03 key versions 30..3F). */
export const ISD_KEY_VERSION = 0x30;

export interface IsdKeys {
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

export function diversifyIsdKeys(kmc: Uint8Array, seSerial: Uint8Array): IsdKeys {
  if (seSerial.length !== SE_SERIAL_LEN) throw new Error(`SE serial: expected ${SE_SERIAL_LEN} bytes, got ${seSerial.length}`);
  const keys = { enc: new Uint8Array(kmc.length), mac: new Uint8Array(kmc.length), dek: new Uint8Array(kmc.length) };
  // KMC keyed once for the three (one OpenSSL context and one pair of CMAC subkeys, not three).
  if (diversifyKeySet(new Cmac(new NodeAes()), kmc, seSerial, 0, seSerial.length, keys.enc, keys.mac, keys.dek) < 0) {
    throw new Error(`KMC: expected an AES key of 16, 24 or 32 bytes, got ${kmc.length}`);
  }
  return keys;
}

/** AES key check value as lower-case hex (docs/standards.md "Keys"): what logs and listings show instead of a key. */
export function aesKcv(key: Uint8Array): string {
  const aes = new NodeAes();
  aes.setKey(key, 0, key.length);
  const out = new Uint8Array(3);
  kcvAes(aes, out, 0);
  aes.wipe();
  return Buffer.from(out).toString('hex');
}

export function wipeIsdKeys(k: IsdKeys): void {
  k.enc.fill(0);
  k.mac.fill(0);
  k.dek.fill(0);
}
