/**
 * GET DATA (GPCS 11.3): 80 CA P1 P2 00, P1P2 = the tag asked for (00E0 key
 * information template, 0066 card data), and a reader for the key information template.
 *
 * Key information template (GPCS 11.3.3.1, basic format):
 *   E0 len
 *     C0 len  key id | key version | key type | key length [| type | length ...]
 * (one C0 per key; a key of several components lists one type/length pair per component; the
 * extended format announces itself with key type FF)
 */
import { encodeCommand } from '../apdu';
import { shr } from '../bits';
import { TlvReader } from '../tlv';
import { CLA_GP, INS_GET_DATA, TAG_KEY_INFORMATION, TAG_KEY_INFORMATION_TEMPLATE } from './constants';

const LE_ALL = 256;
/** Key type FF: extended key information format (GPCS Table 11-17); not decoded here. */
export const KEY_TYPE_EXTENDED = 0xff;

/** 80 CA P1 P2 00 with P1P2 = tag (e.g. TAG_KEY_INFORMATION_TEMPLATE). */
export function buildGetData(tag: number, out: Uint8Array): number {
  if (tag < 0 || tag > 0xffff) return -1;
  return encodeCommand(CLA_GP, INS_GET_DATA, shr(tag, 8) & 0xff, tag & 0xff, null, 0, 0, LE_ALL, out, 0);
}

/** One key of the template; type and length are those of its first component. */
export class KeyInformation {
  id = 0;
  version = 0;
  type = 0;
  /** Key length in bytes; -1 for the extended format. */
  length = 0;
  components = 0;
}

/** Walks the C0 entries of a key information template (with or without its E0 wrapper). */
export class KeyInformationReader {
  private readonly reader = new TlvReader();
  private buf: Uint8Array = new Uint8Array(0);
  malformed = false;

  reset(buf: Uint8Array, off: number, len: number): KeyInformationReader {
    this.buf = buf;
    this.malformed = false;
    this.reader.reset(buf, off, len);
    if (len > 0 && buf[off] === TAG_KEY_INFORMATION_TEMPLATE) {
      if (this.reader.next()) this.reader.reset(buf, this.reader.valueOff, this.reader.length);
      else this.malformed = true;
    }
    return this;
  }

  next(out: KeyInformation): boolean {
    if (this.malformed) return false;
    const r = this.reader;
    if (!r.next()) {
      this.malformed = r.malformed;
      return false;
    }
    const b = this.buf;
    const at = r.valueOff;
    const n = r.length;
    if (r.tag !== TAG_KEY_INFORMATION || n < 4) {
      this.malformed = true;
      return false;
    }
    out.id = b[at];
    out.version = b[at + 1];
    out.type = b[at + 2];
    if (out.type === KEY_TYPE_EXTENDED) {
      out.length = -1;
      out.components = 0;
      return true;
    }
    if ((n - 2) % 2 !== 0) {
      this.malformed = true;
      return false;
    }
    out.length = b[at + 3];
    out.components = shr(n - 2, 1);
    return true;
  }
}
