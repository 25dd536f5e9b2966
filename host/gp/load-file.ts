/**
 * A load file as `tapcard gp --install` and the platform hand it to GpSession: the bytes LOAD sends
 * (GPCS Table 11-58: optional E2 DAP blocks, then `C4 len LoadFileDataBlock`), checked once, and
 * the optional parser that reads package and module AIDs from the data block's own header.
 */
import { TlvReader } from '../../firmware/src/core/tlv';
import { findLoadFileDataBlock } from '../../firmware/src/core/gp/load-script';
import { PackageHeader } from '../../firmware/src/core/se/package-header';
import { LoadFileError } from '../../contracts/card-errors';

export interface LoadFile {
  /** The whole load file, as LOAD sends it. */
  bytes: Uint8Array;
  /** The value of tag C4. */
  dataBlock: Uint8Array;
}

/** What a load file says about itself: enough to install it without being told the AIDs. */
export interface LoadFileHeader {
  packageAid: Uint8Array;
  moduleAids: Uint8Array[];
}

/** Reads the header of a load file data block, or returns null when it has none it understands. */
export type LoadFileHeaderParser = (dataBlock: Uint8Array) => LoadFileHeader | null;

export function parseLoadFile(bytes: Uint8Array): LoadFile {
  const at = findLoadFileDataBlock(bytes, bytes.length, new TlvReader());
  if (at < 0) {
    throw new LoadFileError(
      `not a load file: expected optional E2 DAP blocks then one C4 block running to the end (GPCS Table 11-58), got ${bytes.length} bytes starting ${Buffer.from(bytes.subarray(0, 4)).toString('hex')}`,
    );
  }
  return { bytes, dataBlock: bytes.subarray(at) };
}

/** The tapcard package header (firmware/src/core/se/package-header.ts: A0 { 4F package AID, 84 module AID, ... }). */
export const tapcardPackageHeader: LoadFileHeaderParser = (dataBlock) => {
  const h = new PackageHeader();
  if (!h.parse(dataBlock, 0, dataBlock.length) || h.packageAid.length === 0) return null;
  return {
    packageAid: h.packageAid.bytes.slice(0, h.packageAid.length),
    moduleAids: [h.moduleAid.bytes.slice(0, h.moduleAid.length)],
  };
};
