/**
 * The tapcard package header: the first TLV of a Load File Data Block (the value of tag C4), so
 * the SE learns the package's module and application class from the first LOAD block.
 * The full package format is in docs/package-format.md.
 *
 *   A0 len
 *      4F len  package AID (= load file AID)
 *      84 len  module AID (the application class's module; INSTALL [for install] names it)
 *      80 01   application class (APP_CLASS_*)
 *      81 02   package version
 */
import { TlvReader } from '../tlv';
import { Aid, validAidLength } from './aid';

export const TAG_PACKAGE_HEADER = 0xa0;
export const TAG_PACKAGE_AID = 0x4f;
export const TAG_MODULE_AID = 0x84;
export const TAG_APP_CLASS = 0x80;
export const TAG_VERSION = 0x81;

export const APP_CLASS_PLAIN = 0x00;
export const APP_CLASS_TRANSIT = 0x01;
export const APP_CLASS_ECASH = 0x02;
export const APP_CLASS_LOYALTY = 0x03;

export class PackageHeader {
  readonly packageAid = new Aid();
  readonly moduleAid = new Aid();
  appClass = -1;
  version = 0;
  private readonly outer = new TlvReader();
  private readonly inner = new TlvReader();

  /** Parses the header at buf[off..off+len) (the start of the LFDB value); false if malformed or absent. */
  parse(buf: Uint8Array, off: number, len: number): boolean {
    this.packageAid.clear();
    this.moduleAid.clear();
    this.appClass = -1;
    this.version = 0;
    const o = this.outer.reset(buf, off, len);
    if (!o.next() || o.tag !== TAG_PACKAGE_HEADER) return false;
    const r = this.inner.reset(buf, o.valueOff, o.length);
    while (r.next()) {
      if (r.tag === TAG_PACKAGE_AID) {
        if (!validAidLength(r.length)) return false;
        this.packageAid.set(buf, r.valueOff, r.length);
      } else if (r.tag === TAG_MODULE_AID) {
        if (!validAidLength(r.length)) return false;
        this.moduleAid.set(buf, r.valueOff, r.length);
      } else if (r.tag === TAG_APP_CLASS) {
        if (r.length !== 1) return false;
        this.appClass = buf[r.valueOff];
      } else if (r.tag === TAG_VERSION) {
        if (r.length !== 2) return false;
        this.version = (buf[r.valueOff] << 8) | buf[r.valueOff + 1];
      }
    }
    return !r.malformed && this.moduleAid.length > 0 && this.appClass >= 0;
  }
}
