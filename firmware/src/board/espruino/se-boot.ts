/**
 * Builds and boots the SE on the board: its store on the Storage-backed flash, Espruino's native
 * AES, DES/3DES on 32-bit words for the PBOC purse (word-des.ts; the caller gives the round
 * tables, on the board from Storage: des-table-file.ts), the hardware RNG, and the serial and ISD
 * keys from the provisioning bundle (used at first boot to personalise; afterwards the store
 * holds the keys and the bundle's copy is not read again by the SE).
 */
import { BUILT_IN_APPLET_CLASSES } from '../../core/applets/built-in';
import type { TargetParams } from '../../core/pn532/commands';
import { SecureElement } from '../../core/se/secure-element';
import type { CipherFactory } from '../../core/crypto/block-cipher';
import type { Flash } from '../../core/ports/flash';
import { NFCID1T, SENS_RES } from './board-config';
import { aes, nativeCrc32, nativeMapInPlace, nativeSum } from './espruino-api';
import { EspruinoAesCipher } from './espruino-aes';
import { espruinoRandom } from './espruino-random';
import { DesTables, WordDes, WordTripleDes } from './word-des';
import type { SeProvisioning } from './provisioning';

/** desTableBuffer: the DES round tables laid out as buildDesTables() makes them (the board's: des-table-file.ts). */
export function bootSecureElement(flash: Flash, provisioning: SeProvisioning, desTableBuffer: ArrayBufferLike): SecureElement {
  const engines = engineFactories(desTableBuffer);
  const se = new SecureElement({
    flash: flash,
    crc32: nativeCrc32,
    random: espruinoRandom,
    aes: engines.aes,
    des: engines.des,
    tripleDes: engines.tripleDes,
    serial: provisioning.serial,
    appletClasses: BUILT_IN_APPLET_CLASSES,
    initialKeys: { kvn: provisioning.isdKeyVersion, enc: provisioning.enc, mac: provisioning.mac, dek: provisioning.dek },
  });
  se.boot();
  return se;
}

/**
 * The SE's engine factories, made apart from bootSecureElement: their closures then hold the AES
 * module and the DES tables (with Espruino's E.mapInPlace and E.sum for the rounds) only, not the provisioning bundle's SE part (the ISD keys) the boot
 * read.
 */
function engineFactories(desTableBuffer: ArrayBufferLike): { aes: CipherFactory; des: CipherFactory; tripleDes: CipherFactory } {
  const nativeAes = aes();
  const desTables = new DesTables(desTableBuffer, nativeMapInPlace(), nativeSum());
  return {
    aes: () => new EspruinoAesCipher(nativeAes),
    des: () => new WordDes(desTables),
    // the purse's DPK/DLK are 16 bytes (PBOC_KEY_LEN), its only 3DES use on the SE
    tripleDes: () => new WordTripleDes(desTables, true),
  };
}

function bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] & 0xff;
  return out;
}

/**
 * TgInitAsTarget parameters: the ATS historical bytes are the SE ATR's (3B 8n 80 01 T1..Tn TCK,
 * ISO/IEC 7816-3 §8; PC/SC Part 3 §3.1.3.2.3), so a reader's PC/SC ATR for the board equals the SE's own.
 */
export function targetParamsFor(se: SecureElement): TargetParams {
  const n = se.atr[1] & 0x0f;
  const historical = se.atr.subarray(4, 4 + n);
  return { sensRes: bytes(SENS_RES), nfcid1t: bytes(NFCID1T), historical: historical, historicalLength: n };
}
