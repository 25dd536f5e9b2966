/** Application identifiers (ISO/IEC 7816-5): 5..16 bytes, kept in fixed 16-byte fields. */
import { copy, fill } from '../bytes';
import { MAX_AID_LEN, MIN_AID_LEN } from './records';

/** GPCS H.1.3 default issuer security domain. */
export const ISD_AID = new Uint8Array([0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00]);

export class Aid {
  readonly bytes = new Uint8Array(MAX_AID_LEN);
  length = 0;

  set(src: Uint8Array, off: number, len: number): boolean {
    if (len < MIN_AID_LEN || len > MAX_AID_LEN) return false;
    copy(src, off, this.bytes, 0, len);
    fill(this.bytes, len, MAX_AID_LEN - len, 0);
    this.length = len;
    return true;
  }

  clear(): void {
    fill(this.bytes, 0, MAX_AID_LEN, 0);
    this.length = 0;
  }
}

/** Length is valid for an AID field. */
export function validAidLength(len: number): boolean {
  return len >= MIN_AID_LEN && len <= MAX_AID_LEN;
}
