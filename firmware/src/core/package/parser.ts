/**
 * Reads a tapcard package file (`C4 len value`, layout in format.ts) back into its fields, for
 * `tapcard package inspect`, issuers and the platform. Tools only: allocates the result. Never
 * throws on bad input: `error` names the first problem ('' when the package is well formed).
 */
import { shr } from '../bits';
import { readU16, readU31 } from '../bytes';
import { toHex } from '../hex';
import { TlvReader } from '../tlv';
import { isBcdDate } from './bcd';
import type { PackageKey, PackageSignature } from './builder';
import {
  CARD_NUMBER_LEN,
  DATE_LEN,
  ISSUER_DATA_LEN,
  KEY_AT_ALGORITHM,
  KEY_AT_INDEX,
  KEY_AT_TYPE,
  KEY_AT_VALUE,
  KEY_AT_VERSION,
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

export interface ParsedPackage {
  /** '' when well formed, else what is wrong. */
  error: string;
  appClass: number;
  version: number;
  packageAid: Uint8Array;
  moduleAid: Uint8Array;
  instanceAid: Uint8Array;
  privileges: Uint8Array;
  cardNumber: Uint8Array;
  issuerId: number;
  issuerData: Uint8Array;
  validFrom: Uint8Array;
  validTo: Uint8Array;
  ceiling: number;
  keys: PackageKey[];
  pin: Uint8Array | null;
  cardFaceName: Uint8Array | null;
  terms: Uint8Array | null;
  signature: PackageSignature | null;
  /** The signed bytes: file[signedOff .. signedOff + signedLen) (A0 through A4). */
  signedOff: number;
  signedLen: number;
  /** Length of the Load File Data Block value (what the SE stores). */
  valueLen: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);

function copyOf(b: Uint8Array, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = b[off + i];
  return out;
}

function emptyPackage(): ParsedPackage {
  return {
    error: '',
    appClass: -1,
    version: 0,
    packageAid: EMPTY,
    moduleAid: EMPTY,
    instanceAid: EMPTY,
    privileges: EMPTY,
    cardNumber: EMPTY,
    issuerId: -1,
    issuerData: EMPTY,
    validFrom: EMPTY,
    validTo: EMPTY,
    ceiling: -1,
    keys: [],
    pin: null,
    cardFaceName: null,
    terms: null,
    signature: null,
    signedOff: 0,
    signedLen: 0,
    valueLen: 0,
  };
}

/** A tag as upper-case hex, for messages. */
function tagName(tag: number): string {
  const b = new Uint8Array(2);
  b[0] = shr(tag, 8) & 0xff;
  b[1] = tag & 0xff;
  return (tag > 0xff ? toHex(b) : toHex(b, 1, 1)).toUpperCase();
}

function isAidLength(len: number): boolean {
  return len >= 5 && len <= 16;
}

function fail(p: ParsedPackage, error: string): ParsedPackage {
  p.error = error;
  return p;
}

export function parsePackage(file: Uint8Array): ParsedPackage {
  const p = emptyPackage();
  if (file.length === 0 || file[0] !== TAG_LOAD_FILE_DATA_BLOCK) return fail(p, 'not a Load File Data Block: expected tag C4 at offset 0');
  const outer = new TlvReader().reset(file, 0, file.length);
  if (!outer.next() || outer.valueOff + outer.length !== file.length) return fail(p, `the C4 length does not match the file's ${file.length} bytes`);
  p.valueLen = outer.length;
  p.signedOff = outer.valueOff;
  const top = new TlvReader().reset(file, outer.valueOff, outer.length);
  const inner = new TlvReader();
  let count = 0;
  while (top.next()) {
    const tag = top.tag;
    if (count === 0 && tag !== TAG_HEADER) return fail(p, 'the package header (A0) must be the first TLV');
    if (p.signature !== null) return fail(p, 'the issuer signature (AF) must be the last TLV');
    count++;
    const r = inner.reset(file, top.valueOff, top.length);
    let problem = '';
    if (tag === TAG_HEADER) problem = readHeader(p, file, r);
    else if (tag === TAG_INSTALL) problem = readInstall(p, file, r);
    else if (tag === TAG_PERSONALISATION) problem = readPersonalisation(p, file, r);
    else if (tag === TAG_KEYS) problem = readKeys(p, file, r);
    else if (tag === TAG_RESOURCES) problem = readResources(p, file, r);
    else if (tag === TAG_SIGNATURE) problem = readSignature(p, file, r);
    if (problem !== '') return fail(p, problem);
    if (r.malformed) return fail(p, `malformed TLV inside tag ${tagName(tag)}`);
    if (tag !== TAG_SIGNATURE) p.signedLen = top.valueOff + top.length - p.signedOff;
  }
  if (top.malformed) return fail(p, 'malformed TLV in the Load File Data Block');
  if (p.appClass < 0) return fail(p, 'no package header (A0)');
  if (p.instanceAid.length === 0) return fail(p, 'no install parameters (A1 with 4F instance AID)');
  if (p.cardNumber.length === 0 || p.issuerId < 0 || p.validFrom.length === 0 || p.validTo.length === 0 || p.ceiling < 0) {
    return fail(p, 'personalisation (A2) lacks card number, issuer id, validity or ceiling');
  }
  return p;
}

function readHeader(p: ParsedPackage, b: Uint8Array, r: TlvReader): string {
  while (r.next()) {
    if (r.tag === TAG_PACKAGE_AID && isAidLength(r.length)) p.packageAid = copyOf(b, r.valueOff, r.length);
    else if (r.tag === TAG_MODULE_AID && isAidLength(r.length)) p.moduleAid = copyOf(b, r.valueOff, r.length);
    else if (r.tag === TAG_APP_CLASS && r.length === 1) p.appClass = b[r.valueOff];
    else if (r.tag === TAG_VERSION && r.length === 2) p.version = readU16(b, r.valueOff);
    else return `header (A0): unexpected tag ${tagName(r.tag)} of ${r.length} bytes`;
  }
  if (p.packageAid.length === 0 || p.moduleAid.length === 0 || p.appClass < 0) return 'header (A0) needs 4F package AID, 84 module AID and 80 class';
  return '';
}

function readInstall(p: ParsedPackage, b: Uint8Array, r: TlvReader): string {
  while (r.next()) {
    if (r.tag === TAG_INSTANCE_AID && isAidLength(r.length)) p.instanceAid = copyOf(b, r.valueOff, r.length);
    else if (r.tag === TAG_PRIVILEGES && (r.length === 1 || r.length === 3)) p.privileges = copyOf(b, r.valueOff, r.length);
    else return `install parameters (A1): unexpected tag ${tagName(r.tag)} of ${r.length} bytes`;
  }
  if (p.privileges.length === 0) p.privileges = new Uint8Array(1);
  return '';
}

function readPersonalisation(p: ParsedPackage, b: Uint8Array, r: TlvReader): string {
  while (r.next()) {
    const t = r.tag;
    const n = r.length;
    if (t === TAG_CARD_NUMBER && n === CARD_NUMBER_LEN) p.cardNumber = copyOf(b, r.valueOff, n);
    else if (t === TAG_ISSUER_ID && n === 2) p.issuerId = readU16(b, r.valueOff);
    else if (t === TAG_ISSUER_DATA && n === ISSUER_DATA_LEN) p.issuerData = copyOf(b, r.valueOff, n);
    else if ((t === TAG_VALID_FROM || t === TAG_VALID_TO) && n === DATE_LEN && isBcdDate(b, r.valueOff)) {
      if (t === TAG_VALID_FROM) p.validFrom = copyOf(b, r.valueOff, n);
      else p.validTo = copyOf(b, r.valueOff, n);
    } else if (t === TAG_CEILING && n === 4 && readU31(b, r.valueOff) >= 0) p.ceiling = readU31(b, r.valueOff);
    else return `personalisation (A2): bad tag ${tagName(t)} of ${n} bytes`;
  }
  if (p.issuerData.length === 0) p.issuerData = new Uint8Array(ISSUER_DATA_LEN);
  return '';
}

function readKeys(p: ParsedPackage, b: Uint8Array, r: TlvReader): string {
  while (r.next()) {
    if (r.tag === TAG_KEY && r.length === KEY_ENTRY_LEN) {
      const at = r.valueOff;
      p.keys.push({
        type: b[at + KEY_AT_TYPE],
        index: b[at + KEY_AT_INDEX],
        version: b[at + KEY_AT_VERSION],
        algorithm: b[at + KEY_AT_ALGORITHM],
        value: copyOf(b, at + KEY_AT_VALUE, KEY_VALUE_LEN),
      });
    } else if (r.tag === TAG_PIN && r.length >= 2 && r.length <= 6) {
      p.pin = copyOf(b, r.valueOff, r.length);
    } else {
      return `card keys (A3): bad tag ${tagName(r.tag)} of ${r.length} bytes`;
    }
  }
  return '';
}

function readResources(p: ParsedPackage, b: Uint8Array, r: TlvReader): string {
  while (r.next()) {
    if (r.tag === TAG_CARD_FACE_NAME) p.cardFaceName = copyOf(b, r.valueOff, r.length);
    else if (r.tag === TAG_TERMS) p.terms = copyOf(b, r.valueOff, r.length);
    else return `resources (A4): unexpected tag ${tagName(r.tag)}`;
  }
  return '';
}

function readSignature(p: ParsedPackage, b: Uint8Array, r: TlvReader): string {
  let algorithm = -1;
  let keyId: Uint8Array = EMPTY;
  let value: Uint8Array = EMPTY;
  while (r.next()) {
    if (r.tag === TAG_SIGNATURE_ALGORITHM && r.length === 1) algorithm = b[r.valueOff];
    else if (r.tag === TAG_SIGNATURE_KEY_ID && r.length === SIGNATURE_KEY_ID_LEN) keyId = copyOf(b, r.valueOff, r.length);
    else if (r.tag === TAG_SIGNATURE_VALUE && r.length > 0) value = copyOf(b, r.valueOff, r.length);
    else return `issuer signature (AF): bad tag ${tagName(r.tag)} of ${r.length} bytes`;
  }
  if (algorithm < 0 || keyId.length === 0 || value.length === 0) return 'issuer signature (AF) needs 80 algorithm, 81 key id and 82 signature';
  p.signature = { algorithm: algorithm, keyId: keyId, value: value };
  return '';
}
