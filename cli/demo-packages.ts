/** The packages the demo installs. */
import { fromHex } from '../firmware/src/core/hex';

export interface DemoPackage {
  name: string;
  packageAid: string;
  loadFile: Uint8Array;
  instanceAid?: Uint8Array;
  params?: Uint8Array;
}

function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([tag, ...len, ...value]);
}

/** A plain-class package (package-header.ts) with a card-face resource, a few KB. */
function plainPackage(name: string, packageAid: string, moduleAid: string, face: string): DemoPackage {
  const header = tlv(0xa0, Uint8Array.from([...tlv(0x4f, fromHex(packageAid)), ...tlv(0x84, fromHex(moduleAid)), 0x80, 0x01, 0x00, 0x81, 0x02, 0x01, 0x00]));
  const resource = new TextEncoder().encode(face.repeat(Math.ceil(2500 / face.length)).slice(0, 2500));
  const loadFile = tlv(0xc4, Uint8Array.from([...header, ...tlv(0xa3, resource)]));
  return { name, packageAid, loadFile, instanceAid: fromHex(moduleAid) };
}

export function demoPackages(): DemoPackage[] {
  return [
    plainPackage('member', 'a0000006990101', 'a000000699010101', 'tapcard member card / '),
    plainPackage('library', 'a0000006990201', 'a000000699020101', 'city library card / '),
  ];
}
