/**
 * A load file for the plain application class (package-header.ts): `C4 len A0{...} A3{filler}`,
 * sized so that LOAD needs several blocks. For SE tests that do not depend on an application.
 */
import { fromHex } from '../../firmware/src/core/hex';

function tlv(tag: number[], value: Uint8Array): Uint8Array {
  const len = value.length;
  const l = len < 0x80 ? [len] : len < 0x100 ? [0x81, len] : len < 0x10000 ? [0x82, len >> 8, len & 0xff] : [0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  return Uint8Array.from([...tag, ...l, ...value]);
}

export function plainLoadFile(packageAidHex: string, moduleAidHex: string, size: number): Uint8Array {
  const header = tlv([0xa0], Uint8Array.from([...tlv([0x4f], fromHex(packageAidHex)), ...tlv([0x84], fromHex(moduleAidHex)), 0x80, 0x01, 0x00, 0x81, 0x02, 0x01, 0x00]));
  const fill = new Uint8Array(Math.max(0, size - header.length - 4)).map((_, i) => (i * 7 + 3) & 0xff);
  return tlv([0xc4], Uint8Array.from([...header, ...tlv([0xa3], fill)]));
}
