/**
 * Reads the personalisation of a stored tapcard package (package/format.ts) at INSTALL time,
 * through the SE's ElfReader, into fixed buffers: header version, A2 fields, A3 keys and PIN. One
 * reader serves every install (allocated on first use). read() returns 9000 or 6A80 naming
 * nothing more: a package that fails here was not built by package/builder.ts.
 */
import { copy, readU16, readU31 } from '../bytes';
import { decodeBcd, isBcdDate } from '../package/bcd';
import {
  CARD_NUMBER_LEN,
  DATE_LEN,
  ISSUER_DATA_LEN,
  KEY_ENTRY_LEN,
  TAG_CARD_NUMBER,
  TAG_CEILING,
  TAG_HEADER,
  TAG_ISSUER_DATA,
  TAG_ISSUER_ID,
  TAG_KEY,
  TAG_KEYS,
  TAG_PERSONALISATION,
  TAG_PIN,
  TAG_VALID_FROM,
  TAG_VALID_TO,
  TAG_VERSION,
} from '../package/format';
import type { ElfReader } from '../se/elf-reader';
import { SW } from '../sw';

export const MAX_PACKAGE_KEYS = 7;
const PIN_MAX_BYTES = 6;

export class PackageReader {
  version = 0;
  issuerId = 0;
  ceiling = 0;
  readonly cardNumber = new Uint8Array(CARD_NUMBER_LEN);
  readonly issuerData = new Uint8Array(ISSUER_DATA_LEN);
  readonly validFrom = new Uint8Array(DATE_LEN);
  readonly validTo = new Uint8Array(DATE_LEN);
  /** keyCount entries of KEY_ENTRY_LEN bytes, as in the package. */
  readonly keys = new Uint8Array(MAX_PACKAGE_KEYS * KEY_ENTRY_LEN);
  keyCount = 0;
  readonly pin = new Uint8Array(PIN_MAX_BYTES);
  /** Packed PIN length in bytes; 0 when the package has none. */
  pinLen = 0;
  private readonly two = new Uint8Array(4);

  read(elf: ElfReader): number {
    this.keyCount = 0;
    this.pinLen = 0;
    if (!elf.findTag(TAG_HEADER, 0, elf.length)) return SW.ERR_WRONG_DATA;
    if (!this.field(elf, TAG_VERSION, elf.foundOff, elf.foundOff + elf.foundLen, this.two, 2)) return SW.ERR_WRONG_DATA;
    this.version = readU16(this.two, 0);

    if (!elf.findTag(TAG_PERSONALISATION, 0, elf.length)) return SW.ERR_WRONG_DATA;
    const start = elf.foundOff;
    const end = elf.foundOff + elf.foundLen;
    if (
      !this.field(elf, TAG_CARD_NUMBER, start, end, this.cardNumber, CARD_NUMBER_LEN) ||
      !this.field(elf, TAG_ISSUER_DATA, start, end, this.issuerData, ISSUER_DATA_LEN) ||
      !this.field(elf, TAG_VALID_FROM, start, end, this.validFrom, DATE_LEN) ||
      !this.field(elf, TAG_VALID_TO, start, end, this.validTo, DATE_LEN)
    ) {
      return SW.ERR_WRONG_DATA;
    }
    if (decodeBcd(this.cardNumber, 0, CARD_NUMBER_LEN) === null || !isBcdDate(this.validFrom, 0) || !isBcdDate(this.validTo, 0)) return SW.ERR_WRONG_DATA;
    if (!this.field(elf, TAG_ISSUER_ID, start, end, this.two, 2)) return SW.ERR_WRONG_DATA;
    this.issuerId = readU16(this.two, 0);
    if (!this.field(elf, TAG_CEILING, start, end, this.two, 4)) return SW.ERR_WRONG_DATA;
    this.ceiling = readU31(this.two, 0);
    if (this.ceiling < 0) return SW.ERR_WRONG_DATA;

    if (!elf.findTag(TAG_KEYS, 0, elf.length)) return SW.ERR_WRONG_DATA;
    const keysStart = elf.foundOff;
    const keysEnd = elf.foundOff + elf.foundLen;
    let p = keysStart;
    while (p < keysEnd && elf.findTag(TAG_KEY, p, keysEnd)) {
      if (elf.foundLen !== KEY_ENTRY_LEN || this.keyCount >= MAX_PACKAGE_KEYS) return SW.ERR_WRONG_DATA;
      if (!elf.read(elf.foundOff, this.keys, this.keyCount * KEY_ENTRY_LEN, KEY_ENTRY_LEN)) return SW.ERR_WRONG_DATA;
      this.keyCount++;
      p = elf.foundOff + elf.foundLen;
    }
    if (elf.findTag(TAG_PIN, keysStart, keysEnd)) {
      if (elf.foundLen < 2 || elf.foundLen > PIN_MAX_BYTES || !elf.read(elf.foundOff, this.pin, 0, elf.foundLen)) return SW.ERR_WRONG_DATA;
      this.pinLen = elf.foundLen;
    }
    return SW.OK;
  }

  /** Wipes keys and PIN once the applet has written its records. */
  wipe(): void {
    for (let i = 0; i < this.keys.length; i++) this.keys[i] = 0;
    for (let i = 0; i < PIN_MAX_BYTES; i++) this.pin[i] = 0;
  }

  /** Reads the primitive TLV `tag` of exactly len bytes from [start, end) into out. */
  private field(elf: ElfReader, tag: number, start: number, end: number, out: Uint8Array, len: number): boolean {
    return elf.findTag(tag, start, end) && elf.foundLen === len && elf.read(elf.foundOff, out, 0, len);
  }
}

let shared: PackageReader | null = null;

export function packageReader(): PackageReader {
  if (shared === null) shared = new PackageReader();
  return shared;
}

export function copyKeyEntry(reader: PackageReader, i: number, out: Uint8Array, outOff: number): void {
  copy(reader.keys, i * KEY_ENTRY_LEN, out, outOff, KEY_ENTRY_LEN);
}
