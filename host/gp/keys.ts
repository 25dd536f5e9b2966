/**
 * ISD key sets on the host: the static keys given directly, or diversified per SE from a master
 * key over the card's KDD (firmware/src/core/gp/diversify.ts, the scheme the platform uses).
 */
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import type { CipherFactory } from '../../firmware/src/core/crypto/block-cipher';
import { Cmac } from '../../firmware/src/core/crypto/cmac';
import { KCV_LEN, kcvAes } from '../../firmware/src/core/crypto/kcv';
import { diversifyKeySet } from '../../firmware/src/core/gp/diversify';

export interface StaticKeys {
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

/** One key for all three roles (K-ENC = K-MAC = K-DEK), as development cards and GPPro's --key use. */
export function sameKeyForAll(key: Uint8Array): StaticKeys {
  return { enc: key.slice(), mac: key.slice(), dek: key.slice() };
}

/** The SE's key set from the master key (KMC) and its KDD (KDF3 diversification). */
export function diversifyIsdKeys(master: Uint8Array, kdd: Uint8Array, cipherFactory: CipherFactory = () => new SoftAes()): StaticKeys {
  const keys = { enc: new Uint8Array(master.length), mac: new Uint8Array(master.length), dek: new Uint8Array(master.length) };
  if (diversifyKeySet(new Cmac(cipherFactory()), master, kdd, 0, kdd.length, keys.enc, keys.mac, keys.dek) < 0) {
    throw new Error(`key diversification: master key must be 16, 24 or 32 bytes (got ${master.length}), KDD 1..64 bytes (got ${kdd.length})`);
  }
  return keys;
}

/** Key check value (hex) of an AES key: what may be logged instead of the key (docs/standards.md "Keys"). */
export function aesKcv(key: Uint8Array, cipherFactory: CipherFactory = () => new SoftAes()): string {
  const c = cipherFactory();
  const out = new Uint8Array(KCV_LEN);
  c.setKey(key, 0, key.length);
  kcvAes(c, out, 0);
  c.wipe();
  return Buffer.from(out).toString('hex').toUpperCase();
}

export function wipeKeys(keys: StaticKeys): void {
  keys.enc.fill(0);
  keys.mac.fill(0);
  keys.dek.fill(0);
}
