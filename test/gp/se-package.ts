/**
 * A small tapcard load file for tests: `C4 len { A0 { 4F package AID, 84 module AID, 80 class,
 * 81 version } || filler }` (firmware/src/core/se/package-header.ts), big enough to need several
 * LOAD blocks at every security level.
 */
import { TlvWriter } from '../../firmware/src/core/tlv';
import { fromHex } from '../../firmware/src/core/hex';

export const PACKAGE_AID = 'A0000001510001';
export const MODULE_AID = 'A000000151000101';
export const INSTANCE_AID = 'A000000151000102';

export function buildTestLoadFile(fillerLen = 700, appClass = 0x00): Uint8Array {
  const w = new TlvWriter().reset(new Uint8Array(fillerLen + 64), 0);
  const pkg = fromHex(PACKAGE_AID);
  const mod = fromHex(MODULE_AID);
  w.open(0xc4);
  w.open(0xa0);
  w.tlv(0x4f, pkg, 0, pkg.length);
  w.tlv(0x84, mod, 0, mod.length);
  w.byteTlv(0x80, appClass);
  w.tlv(0x81, Uint8Array.of(0x01, 0x02), 0, 2);
  w.close();
  const filler = new Uint8Array(fillerLen);
  for (let i = 0; i < fillerLen; i++) filler[i] = (i * 7 + 3) & 0xff;
  w.raw(filler, 0, fillerLen);
  w.close();
  if (w.overflow) throw new Error('test load file does not fit');
  return w.buf.slice(0, w.pos);
}
