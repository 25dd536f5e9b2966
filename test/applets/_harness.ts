/**
 * Test harness for the card applications: an SE on MemoryFlash with a scriptable random source,
 * packages built with the core builder, installed by the GP host (GpSession) over SCP03, and a
 * terminal side that computes the issuer's and the PSAM's MACs with the same core code.
 */
import { randomFillSync } from 'node:crypto';
import { expect } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { encodeBcd, encodePin } from '../../firmware/src/core/package/bcd';
import { encodeLoadFileDataBlock, encodePackageBody, type PackageSpec } from '../../firmware/src/core/package/builder';
import { makePackageSpec, type CardPackageRequest } from '../../firmware/src/core/package/card-package';
import { devBankMasterKeys, devMerchantMasterKeys, devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { APP_CLASS_ECASH, APP_CLASS_LOYALTY, APP_CLASS_TRANSIT } from '../../firmware/src/core/se/package-header';
import { MAX_RESPONSE_LEN, SecureElement } from '../../firmware/src/core/se/secure-element';
import type { Random } from '../../firmware/src/core/ports/random';
import { BUILT_IN_APPLET_CLASSES } from '../../firmware/src/core/applets/built-in';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile } from '../../host/gp/load-file';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';

export const SE_SERIAL = fromHex('00112233445566778899');
export const FLASH_PAGES = 64;

/** Random bytes from node:crypto, except the ones a test queues (e.g. the vector's 11223344). */
export class ScriptedRandom implements Random {
  private readonly queue: Uint8Array[] = [];

  push(hex: string): void {
    this.queue.push(fromHex(hex));
  }

  fill(out: Uint8Array, off: number, len: number): void {
    const next = this.queue.shift();
    if (next !== undefined && next.length === len) out.set(next, off);
    else randomFillSync(out, off, len);
  }
}

export class TestSe {
  readonly se: SecureElement;
  readonly flash: MemoryFlash;
  readonly random: ScriptedRandom;
  private readonly out = new Uint8Array(MAX_RESPONSE_LEN);

  constructor(flash: MemoryFlash = new MemoryFlash(FLASH_PAGES), random = new ScriptedRandom()) {
    this.flash = flash;
    this.random = random;
    const key = fromHex(DEV_ISD_KEY);
    this.se = new SecureElement({
      flash,
      random,
      aes: () => new SoftAes(),
      des: () => new SoftDes(),
      tripleDes: () => new SoftTripleDes(),
      serial: SE_SERIAL,
      appletClasses: BUILT_IN_APPLET_CLASSES,
      initialKeys: { kvn: 0x30, enc: key, mac: key, dek: key },
    });
    this.se.boot();
  }

  /** One APDU as hex in, the response (data || SW) as hex out. */
  send(hex: string): string {
    return toHex(this.transmitSync(fromHex(hex)));
  }

  transmitSync(apdu: Uint8Array): Uint8Array {
    const n = this.se.transceive(apdu, apdu.length, this.out);
    return this.out.slice(0, n);
  }

  readonly transmit = async (apdu: Uint8Array): Promise<Uint8Array> => this.transmitSync(apdu);

  /** Sends and expects SW 9000; returns the response data as hex. */
  ok(hex: string): string {
    const r = this.send(hex);
    expect(r.slice(-4), `${hex} -> ${r}`).toBe('9000');
    return r.slice(0, -4);
  }
}

/** Installs a package file (C4 ...) through GpSession over SCP03 at the given security level. */
export async function installPackage(transmit: (apdu: Uint8Array) => Promise<Uint8Array>, file: Uint8Array, spec: PackageSpec, securityLevel = 0x03) {
  const gp = new GpSession(transmit);
  await gp.selectIsd();
  await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel });
  return gp.install(parseLoadFile(file), {
    packageAid: spec.packageAid,
    moduleAid: spec.moduleAid,
    instanceAid: spec.instanceAid,
    privileges: spec.privileges,
  });
}

export interface CardOptions {
  app: 'transit' | 'ecash' | 'loyalty';
  issuerId?: number;
  cardNumber?: string;
  pin?: string;
  tunion?: boolean;
  defaultCard?: boolean;
  ceiling?: number;
  /** Terms of use bytes (a few KB makes many LOAD blocks). */
  termsLength?: number;
}

const CLASS = { transit: APP_CLASS_TRANSIT, ecash: APP_CLASS_ECASH, loyalty: APP_CLASS_LOYALTY };

export function cardRequest(o: CardOptions): CardPackageRequest {
  const terms = o.termsLength ?? 2500;
  return {
    appClass: CLASS[o.app],
    issuerId: o.issuerId ?? 1000,
    cardNumber: encodeBcd(o.cardNumber ?? '31041000000000012345', 10)!,
    purseKeys: o.app === 'transit' ? devTransitMasterKeys() : o.app === 'ecash' ? devBankMasterKeys() : null,
    loyaltyKeys: o.app === 'loyalty' ? devMerchantMasterKeys() : null,
    applicationAid: null,
    tunion: o.tunion ?? false,
    defaultCard: o.defaultCard ?? false,
    validFrom: fromHex('20240101'),
    validTo: fromHex('20291231'),
    ceiling: o.ceiling ?? null,
    pin: o.pin === undefined ? null : encodePin(o.pin, 4, 12),
    issuerData: null,
    cardFaceName: new TextEncoder().encode(`${o.app} card`),
    terms: terms > 0 ? new TextEncoder().encode('T'.repeat(terms)) : null,
  };
}

/** A package file (unsigned) from a spec. */
export function packageFile(spec: PackageSpec): Uint8Array {
  const body = new Uint8Array(16384);
  const n = encodePackageBody(spec, body, 0);
  expect(n).toBeGreaterThan(0);
  const out = new Uint8Array(n + 8);
  const len = encodeLoadFileDataBlock(body, 0, n, null, out);
  expect(len).toBeGreaterThan(0);
  return out.slice(0, len);
}

export function cardPackage(o: CardOptions): { spec: PackageSpec; file: Uint8Array } {
  const spec = makePackageSpec(cardRequest(o));
  return { spec, file: packageFile(spec) };
}

export function hex(b: Uint8Array): string {
  return toHex(b);
}
