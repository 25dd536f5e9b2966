/**
 * Builds a tapcard package (layout in format.ts, docs/package-format.md): the issuer fills a
 * PackageSpec, encodePackageBody() writes A0..A4, a signer off-card signs those bytes, and
 * encodeLoadFileDataBlock() wraps body and signature as `C4 len value`, the bytes the LOAD
 * commands carry. Portable, so an issuer on any runtime builds the same bytes.
 */
import { writeU16, writeU31 } from '../bytes';
import { TlvWriter, lengthSize, writeLength, writeTag } from '../tlv';
import {
  CARD_NUMBER_LEN,
  DATE_LEN,
  ISSUER_DATA_LEN,
  KEY_ENTRY_LEN,
  KEY_VALUE_LEN,
  SIGNATURE_KEY_ID_LEN,
  TAG_APP_CLASS,
  TAG_CARD_FACE_NAME,
  TAG_CARD_NUMBER,
  TAG_CEILING,
  TAG_HEADER,
  TAG_INSTALL,
  TAG_INSTANCE_AID,
  TAG_ISSUER_DATA,
  TAG_ISSUER_ID,
  TAG_KEY,
  TAG_KEYS,
  TAG_LOAD_FILE_DATA_BLOCK,
  TAG_MODULE_AID,
  TAG_PACKAGE_AID,
  TAG_PERSONALISATION,
  TAG_PIN,
  TAG_PRIVILEGES,
  TAG_RESOURCES,
  TAG_SIGNATURE,
  TAG_SIGNATURE_ALGORITHM,
  TAG_SIGNATURE_KEY_ID,
  TAG_SIGNATURE_VALUE,
  TAG_TERMS,
  TAG_VALID_FROM,
  TAG_VALID_TO,
  TAG_VERSION,
} from './format';

export interface PackageKey {
  type: number;
  index: number;
  version: number;
  algorithm: number;
  /** 16 bytes: a diversified card key (card-keys.ts). */
  value: Uint8Array;
}

export interface PackageSpec {
  appClass: number;
  version: number;
  packageAid: Uint8Array;
  moduleAid: Uint8Array;
  instanceAid: Uint8Array;
  /** GP privileges for INSTALL (1 or 3 bytes); 04 in byte 1 makes the card the default card. */
  privileges: Uint8Array;
  /** 10 bytes BCD. */
  cardNumber: Uint8Array;
  issuerId: number;
  /** 8 bytes, copied to the first bytes of SFI 15 on purse cards. */
  issuerData: Uint8Array;
  /** BCD YYYYMMDD. */
  validFrom: Uint8Array;
  validTo: Uint8Array;
  /** Highest balance (fen) or points the card may hold. */
  ceiling: number;
  keys: PackageKey[];
  /** Packed PIN (bcd.ts encodePin), or null for none. */
  pin: Uint8Array | null;
  cardFaceName: Uint8Array | null;
  terms: Uint8Array | null;
}

export interface PackageSignature {
  algorithm: number;
  /** SIGNATURE_KEY_ID_LEN bytes naming the issuer key. */
  keyId: Uint8Array;
  value: Uint8Array;
}

/** BER lengths up to 82 xx xx (tlv.ts). */
const MAX_TLV_LEN = 0xffff;

function checkLen(what: string, b: Uint8Array, len: number): void {
  if (b.length !== len) throw new Error(`package ${what}: expected ${len} bytes, got ${b.length}`);
}

function checkSpec(spec: PackageSpec): void {
  checkLen('card number', spec.cardNumber, CARD_NUMBER_LEN);
  checkLen('issuer data', spec.issuerData, ISSUER_DATA_LEN);
  checkLen('valid-from date', spec.validFrom, DATE_LEN);
  checkLen('valid-to date', spec.validTo, DATE_LEN);
  if (spec.privileges.length !== 1 && spec.privileges.length !== 3) throw new Error(`package privileges: expected 1 or 3 bytes, got ${spec.privileges.length}`);
  if (spec.issuerId < 0 || spec.issuerId > 0xffff) throw new Error(`package issuer id: expected 0..65535, got ${spec.issuerId}`);
  if (spec.version < 0 || spec.version > 0xffff) throw new Error(`package version: expected 0..65535, got ${spec.version}`);
  if (spec.ceiling < 0 || spec.ceiling > 0x7fffffff) throw new Error(`package ceiling: expected 0..2^31-1, got ${spec.ceiling}`);
  for (let i = 0; i < spec.keys.length; i++) checkLen('key value', spec.keys[i].value, KEY_VALUE_LEN);
}

/**
 * Writes A0 A1 A2 A3 [A4] at out[off..]; returns the offset after them, or -1 when out is too
 * small. Throws on a malformed spec (wrong lengths): that is the issuer's bug, not input.
 */
export function encodePackageBody(spec: PackageSpec, out: Uint8Array, off: number): number {
  checkSpec(spec);
  const w = new TlvWriter().reset(out, off);
  const scratch = new Uint8Array(KEY_ENTRY_LEN);

  w.open(TAG_HEADER);
  w.tlv(TAG_PACKAGE_AID, spec.packageAid, 0, spec.packageAid.length);
  w.tlv(TAG_MODULE_AID, spec.moduleAid, 0, spec.moduleAid.length);
  w.byteTlv(TAG_APP_CLASS, spec.appClass);
  writeU16(scratch, 0, spec.version);
  w.tlv(TAG_VERSION, scratch, 0, 2);
  w.close();

  w.open(TAG_INSTALL);
  w.tlv(TAG_INSTANCE_AID, spec.instanceAid, 0, spec.instanceAid.length);
  w.tlv(TAG_PRIVILEGES, spec.privileges, 0, spec.privileges.length);
  w.close();

  w.open(TAG_PERSONALISATION);
  w.tlv(TAG_CARD_NUMBER, spec.cardNumber, 0, CARD_NUMBER_LEN);
  writeU16(scratch, 0, spec.issuerId);
  w.tlv(TAG_ISSUER_ID, scratch, 0, 2);
  w.tlv(TAG_ISSUER_DATA, spec.issuerData, 0, ISSUER_DATA_LEN);
  w.tlv(TAG_VALID_FROM, spec.validFrom, 0, DATE_LEN);
  w.tlv(TAG_VALID_TO, spec.validTo, 0, DATE_LEN);
  writeU31(scratch, 0, spec.ceiling);
  w.tlv(TAG_CEILING, scratch, 0, 4);
  w.close();

  w.open(TAG_KEYS);
  for (let i = 0; i < spec.keys.length; i++) {
    const k = spec.keys[i];
    scratch[0] = k.type;
    scratch[1] = k.index;
    scratch[2] = k.version;
    scratch[3] = k.algorithm;
    for (let j = 0; j < KEY_VALUE_LEN; j++) scratch[4 + j] = k.value[j];
    w.tlv(TAG_KEY, scratch, 0, KEY_ENTRY_LEN);
  }
  if (spec.pin !== null) w.tlv(TAG_PIN, spec.pin, 0, spec.pin.length);
  w.close();
  for (let j = 0; j < KEY_ENTRY_LEN; j++) scratch[j] = 0;

  if (spec.cardFaceName !== null || spec.terms !== null) {
    w.open(TAG_RESOURCES);
    if (spec.cardFaceName !== null) w.tlv(TAG_CARD_FACE_NAME, spec.cardFaceName, 0, spec.cardFaceName.length);
    if (spec.terms !== null) w.tlv(TAG_TERMS, spec.terms, 0, spec.terms.length);
    w.close();
  }
  return w.overflow ? -1 : w.pos;
}

/** Bytes of `AF len { 80 01 alg | 81 08 keyId | 82 len sig }`. */
function signatureTlvLen(sig: PackageSignature): number {
  const inner = 3 + 2 + SIGNATURE_KEY_ID_LEN + 1 + lengthSize(sig.value.length) + sig.value.length;
  return 1 + lengthSize(inner) + inner;
}

/**
 * Writes `C4 len { body [AF signature] }` to out[0..]; returns its length, or -1 when out is too
 * small. The body is the output of encodePackageBody; the signature (if any) is over exactly it.
 */
export function encodeLoadFileDataBlock(body: Uint8Array, bodyOff: number, bodyLen: number, signature: PackageSignature | null, out: Uint8Array): number {
  if (signature !== null) checkLen('signature key id', signature.keyId, SIGNATURE_KEY_ID_LEN);
  const valueLen = bodyLen + (signature === null ? 0 : signatureTlvLen(signature));
  if (valueLen > MAX_TLV_LEN || 1 + lengthSize(valueLen) + valueLen > out.length) return -1;
  let o = writeLength(out, writeTag(out, 0, TAG_LOAD_FILE_DATA_BLOCK), valueLen);
  for (let i = 0; i < bodyLen; i++) out[o + i] = body[bodyOff + i];
  o += bodyLen;
  if (signature === null) return o;
  const w = new TlvWriter().reset(out, o);
  w.open(TAG_SIGNATURE);
  w.byteTlv(TAG_SIGNATURE_ALGORITHM, signature.algorithm);
  w.tlv(TAG_SIGNATURE_KEY_ID, signature.keyId, 0, SIGNATURE_KEY_ID_LEN);
  w.tlv(TAG_SIGNATURE_VALUE, signature.value, 0, signature.value.length);
  w.close();
  return w.overflow ? -1 : w.pos;
}
