/**
 * The SE's issuer-security-domain keys, diversified from the platform master key KMC over the SE
 * serial (ARCHITECTURE.md "Keys"; reference/peers.md §5 "Per-card diversification").
 *
 *   K_x = KDF(KMC, constant_x, context = SE serial (10 bytes), L = 128)
 *
 * KDF is the SCP03 key derivation of GP Amendment D §4.1.5 (NIST SP 800-108 counter mode, AES-CMAC
 * PRF; firmware/src/core/crypto/kdf.ts, cards.md §2.1). tapcard's constants, chosen outside
 * Amendment D table 4-1 (00..07) so a diversified key can never coincide with a session derivation:
 *
 *   0x71 ISD key ENC     0x72 ISD key MAC     0x73 ISD key DEK
 *
 * The SE serial is what the SE returns as key diversification data in INITIALIZE UPDATE (the first
 * 10 bytes of its response, GPCS E.5.1.6), so the platform can find the keys of any SE it talks to.
 */
import { SoftAes } from '../../../firmware/src/core/crypto/aes';
import { Cmac } from '../../../firmware/src/core/crypto/cmac';
import { kcvAes } from '../../../firmware/src/core/crypto/kcv';
import { scp03Derive } from '../../../firmware/src/core/crypto/kdf';

export const SE_SERIAL_LEN = 10;
export const DIVERSIFY_ISD_ENC = 0x71;
export const DIVERSIFY_ISD_MAC = 0x72;
export const DIVERSIFY_ISD_DEK = 0x73;
/** Key version number of the ISD key set (GP: SCP03 key versions 30..3F). */
export const ISD_KEY_VERSION = 0x30;

export interface IsdKeys {
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

export function diversifyIsdKeys(kmc: Uint8Array, seSerial: Uint8Array): IsdKeys {
  if (kmc.length !== 16 && kmc.length !== 24 && kmc.length !== 32) {
    throw new Error(`KMC: expected an AES key of 16, 24 or 32 bytes, got ${kmc.length}`);
  }
  if (seSerial.length !== SE_SERIAL_LEN) throw new Error(`SE serial: expected ${SE_SERIAL_LEN} bytes, got ${seSerial.length}`);
  const aes = new SoftAes();
  aes.setKey(kmc, 0, kmc.length);
  const mac = new Cmac(aes);
  const derive = (constant: number): Uint8Array => {
    const out = new Uint8Array(16);
    scp03Derive(mac, constant, seSerial, 0, seSerial.length, 128, out, 0);
    return out;
  };
  try {
    return { enc: derive(DIVERSIFY_ISD_ENC), mac: derive(DIVERSIFY_ISD_MAC), dek: derive(DIVERSIFY_ISD_DEK) };
  } finally {
    mac.wipe();
    aes.wipe();
  }
}

/** AES key check value as hex (cards.md §1.6): what logs and listings show instead of a key. */
export function aesKcv(key: Uint8Array): string {
  const aes = new SoftAes();
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
