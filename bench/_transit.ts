/**
 * The transit side of the benchmarks: a transit card package built with the development issuer
 * keys, installed through GpSession over SCP03, and the purse host that stands in for the transit
 * server's security module (MAC1 of a purchase, MAC2 of a load) using the core PBOC code with the
 * card's diversified keys (JR/T 0025 e-purse security).
 */
import { fromHex, toHex } from '../firmware/src/core/hex';
import { PurseCrypto } from '../firmware/src/core/applets/purse/purse-crypto';
import { softPbocCrypto } from '../firmware/src/core/crypto/soft-pboc';
import type { PbocCrypto } from '../firmware/src/core/crypto/pboc';
import { encodeBcd } from '../firmware/src/core/package/bcd';
import { encodeLoadFileDataBlock, encodePackageBody, type PackageSpec } from '../firmware/src/core/package/builder';
import { makePackageSpec } from '../firmware/src/core/package/card-package';
import { diversifyPurseKey } from '../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../firmware/src/core/package/dev-keys';
import { APP_CLASS_TRANSIT } from '../firmware/src/core/se/package-header';
import { GpSession } from '../host/gp/gp-session';
import { NodeAes } from '../net/crypto/node-aes';
import { sameKeyForAll } from '../host/gp/keys';
import { parseLoadFile } from '../host/gp/load-file';
import { DEV_ISD_KEY } from '../host/se/virtual-se';
import { nodePbocCrypto } from '../net/crypto/node-des';

export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

export const CARD_NUMBER = '31041000000000012345';
export const TERMINAL_ID = fromHex('001122334455');
/** EP (electronic purse) in P2 of INITIALIZE FOR LOAD / PURCHASE (JR/T 0025). */
const P2_EP = 0x02;
const TX_LOAD_EP = 0x02;
const TX_PURCHASE_EP = 0x06;
/**
 * Room for a package body beyond its terms (header, install, personalisation and key entries take
 * a few hundred bytes): each package is built in a buffer of its own size, not in a fixed 128 KB
 * one, which the platform bench's issuer zeroed and dropped once per download job.
 */
const BODY_ROOM = 1024;
/**
 * The issuer's DES for the card keys' diversification: node:crypto, as an issuer server runs it
 * (net/crypto/node-des.ts), not the portable SoftDes the board needs. A host PbocCrypto wipes every
 * key after every operation, so one serves every package.
 */
const ISSUER_PBOC = nodePbocCrypto();

export interface TransitPackage {
  spec: PackageSpec;
  file: Uint8Array;
}

/** A transit card package; `termsLength` bytes of terms of use set its size (and LOAD block count). */
export function transitPackage(termsLength: number, cardNumber = CARD_NUMBER): TransitPackage {
  const spec = makePackageSpec({
    appClass: APP_CLASS_TRANSIT,
    issuerId: 1000,
    cardNumber: encodeBcd(cardNumber, 10)!,
    purseKeys: devTransitMasterKeys(),
    loyaltyKeys: null,
    applicationAid: null,
    tunion: false,
    defaultCard: false,
    validFrom: fromHex('20240101'),
    validTo: fromHex('20291231'),
    ceiling: null,
    pin: null,
    issuerData: null,
    cardFaceName: new TextEncoder().encode('transit card'),
    terms: termsLength > 0 ? new TextEncoder().encode('T'.repeat(termsLength)) : null,
  }, ISSUER_PBOC);
  const room = BODY_ROOM + termsLength;
  const body = new Uint8Array(room);
  const n = encodePackageBody(spec, body, 0);
  if (n <= 0) throw new Error(`transit package body does not fit ${room} bytes (terms ${termsLength})`);
  const out = new Uint8Array(n + 8);
  const len = encodeLoadFileDataBlock(body, 0, n, null, out);
  if (len <= 0) throw new Error('load file data block encoding failed');
  return { spec, file: out.slice(0, len) };
}

/**
 * SELECT ISD, SCP03 at `securityLevel`, INSTALL [for load], LOAD..., INSTALL [for install]. The host
 * side's AES is node:crypto's, as the platform's is: the download bench's raw install is the SE
 * core's work beside a host as cheap as the platform's, not beside the portable SoftAes (about a
 * fifth of a 4 KB raw install's CPU at SL 33 went to the host's wrapping).
 */
export async function installTransit(transmit: Transmit, pkg: TransitPackage, securityLevel = 0x03) {
  const gp = new GpSession(transmit, { cipherFactory: () => new NodeAes() });
  await gp.selectIsd();
  await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel });
  const result = await gp.install(parseLoadFile(pkg.file), {
    packageAid: pkg.spec.packageAid,
    moduleAid: pkg.spec.moduleAid,
    instanceAid: pkg.spec.instanceAid,
    privileges: pkg.spec.privileges,
  });
  gp.close();
  return result;
}

export class CardRefusedError extends Error {
  readonly sw: number;
  constructor(what: string, sw: number) {
    super(`${what}: card answered SW ${sw.toString(16).padStart(4, '0')}`);
    this.sw = sw;
  }
}

/** Data of a response, or a CardRefusedError unless SW is 9000. */
export function expectOk(what: string, r: Uint8Array): Uint8Array {
  const sw = (r[r.length - 2] << 8) | r[r.length - 1];
  if (sw !== 0x9000) throw new CardRefusedError(what, sw);
  return r.subarray(0, r.length - 2);
}

function u32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** What a TransitHost is made for: the card keys it diversifies (JR/T 0025: one per transaction type). */
export type TransitUse = 'load' | 'purchase';

/**
 * The transit server's security module for one card: builds the APDUs a POS sends, with their MACs.
 * It diversifies, when made, the card's keys for the transactions it is made for (both by default;
 * the platform bench taps each card once, for a load); the TAC key is never used here.
 */
export class TransitHost {
  private readonly crypto: PurseCrypto;
  private readonly loadKey: Uint8Array | null;
  private readonly purchaseKey: Uint8Array | null;
  private readonly keyIndex: number;
  readonly selectApdu: Uint8Array;
  private serial = 0;

  /** pboc: the DES engines of the host's PBOC crypto (the core's SoftDes by default). */
  constructor(spec: PackageSpec, cardNumber = CARD_NUMBER, uses: readonly TransitUse[] = ['load', 'purchase'], pboc: PbocCrypto = softPbocCrypto()) {
    const master = devTransitMasterKeys();
    const number = fromHex(cardNumber);
    this.loadKey = uses.includes('load') ? diversifyPurseKey(pboc, master.load, number) : null;
    this.purchaseKey = uses.includes('purchase') ? diversifyPurseKey(pboc, master.purchase, number) : null;
    this.crypto = new PurseCrypto(pboc);
    this.keyIndex = master.keyIndex;
    const aid = toHex(spec.instanceAid);
    this.selectApdu = fromHex(`00a40400${(aid.length / 2).toString(16).padStart(2, '0')}${aid}00`);
  }

  initPurchase(amount: number): Uint8Array {
    return fromHex(`805001${hex8(P2_EP)}0b${hex8(this.keyIndex)}${u32(amount)}${toHex(TERMINAL_ID)}0f`);
  }

  /** DEBIT FOR PURCHASE with MAC1 for the INITIALIZE FOR PURCHASE answer (JR/T 0025 §purchase). */
  debit(initData: Uint8Array, amount: number, dateTime: Uint8Array): Uint8Array {
    if (initData.length !== 15) throw new Error(`INITIALIZE FOR PURCHASE answer: expected 15 bytes, got ${initData.length}`);
    const counter = (initData[4] << 8) | initData[5];
    const serial = fromHex(u32(++this.serial));
    const mac = new Uint8Array(4);
    this.crypto.startPurchase(keyFor('purchase', this.purchaseKey), initData, 11, counter, serial, 0);
    this.crypto.transactionMac({ amount, txType: TX_PURCHASE_EP, terminalId: TERMINAL_ID }, dateTime, 0, mac);
    return fromHex(`805401000f${toHex(serial)}${toHex(dateTime)}${toHex(mac)}08`);
  }

  initLoad(amount: number): Uint8Array {
    return fromHex(`805000${hex8(P2_EP)}0b${hex8(this.keyIndex)}${u32(amount)}${toHex(TERMINAL_ID)}10`);
  }

  /** CREDIT FOR LOAD with MAC2 for the INITIALIZE FOR LOAD answer, after checking its MAC1. */
  credit(initData: Uint8Array, amount: number, dateTime: Uint8Array): Uint8Array {
    if (initData.length !== 16) throw new Error(`INITIALIZE FOR LOAD answer: expected 16 bytes, got ${initData.length}`);
    const balance = (initData[0] << 24) | (initData[1] << 16) | (initData[2] << 8) | initData[3];
    const counter = (initData[4] << 8) | initData[5];
    const mac = new Uint8Array(4);
    this.crypto.startLoad(keyFor('load', this.loadKey), initData, 8, counter);
    this.crypto.loadMac1({ amount, txType: TX_LOAD_EP, terminalId: TERMINAL_ID }, balance, mac, 0);
    if (toHex(mac) !== toHex(initData, 12, 4)) throw new Error('INITIALIZE FOR LOAD: the card\'s MAC1 does not verify');
    this.crypto.transactionMac({ amount, txType: TX_LOAD_EP, terminalId: TERMINAL_ID }, dateTime, 0, mac);
    return fromHex(`805200000b${toHex(dateTime)}${toHex(mac)}04`);
  }
}

function keyFor(use: TransitUse, key: Uint8Array | null): Uint8Array {
  if (key === null) throw new Error(`this transit host was not made for ${use} transactions`);
  return key;
}

function hex8(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export const GET_BALANCE_EP = fromHex('805c000204');
