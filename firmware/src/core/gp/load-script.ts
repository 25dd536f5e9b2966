/**
 * The LOAD part of a load script (GPCS 11.6): how a load file is cut into LOAD
 * blocks and the LOAD command itself. The whole script is INSTALL [for load] (install.ts) ->
 * LOAD block 00..N-1 -> INSTALL [for install and make selectable] (install.ts).
 *
 * Load file (GPCS Table 11-58), sent as is, cut into consecutive blocks:
 *   [ E2 len { 4F SD AID, C3 DAP signature } ]*  C4 len LoadFileDataBlock
 * (BER lengths; the C4 value is the Java Card CAP components, or tapcard's own package format.)
 */
import { TlvReader } from '../tlv';
import { CLA_GP, INS_LOAD, P1_LAST_BLOCK, P1_MORE_BLOCKS, SHORT_LC_MAX, TAG_DAP_BLOCK, TAG_LOAD_FILE_DATA_BLOCK } from './constants';
import { hasCDec, hasCMac } from './security-level';
import { finishCase4, startCommand } from './_lv';
import { copy } from '../bytes';

const MAC_LEN = 8;
const AES_BLOCK = 16;
/** P2 is the block number, 00..FF (GPCS 11.6.2.2), so a load file has at most 256 blocks. */
export const MAX_LOAD_BLOCKS = 256;

/**
 * The most load file bytes one LOAD can carry once wrapped at `securityLevel` (0 = no secure
 * channel), for a card whose FCI tag 9F65 allows maxCommandData bytes of command data (pass 0
 * when the card gave none):
 *   limit = min(9F65, 255); C-MAC takes 8; C-DECRYPTION pads with 80 00.. to whole AES blocks
 *   (AmdD 6.2.6), so the plain block must leave at least one byte of padding inside the limit.
 * At 255 this is 247 (C-MAC) and 239 (C-DEC + C-MAC), as GlobalPlatformPro cuts them. Returns 0
 * when the card's limit leaves no room at all.
 */
export function loadBlockSize(maxCommandData: number, securityLevel: number): number {
  let limit = maxCommandData > 0 && maxCommandData < SHORT_LC_MAX ? maxCommandData : SHORT_LC_MAX;
  if (hasCMac(securityLevel)) limit -= MAC_LEN;
  if (hasCDec(securityLevel)) limit = limit - (limit % AES_BLOCK) - 1;
  return limit > 0 ? limit : 0;
}

/** Number of LOAD commands for a file of fileLen bytes (at least one, GPCS 11.6.2.2). */
export function loadBlockCount(fileLen: number, blockSize: number): number {
  if (blockSize <= 0) return -1;
  const n = Math.floor((fileLen + blockSize - 1) / blockSize);
  return n < 1 ? 1 : n;
}

/**
 * LOAD block `blockNumber` (GPCS Table 11-56): 80 E8 P1 P2 Lc block 00, P1 80 on the last block,
 * else 00; P2 = block number. The data is src[srcOff, srcOff + len). Returns the length or -1.
 */
export function buildLoad(
  blockNumber: number,
  last: boolean,
  src: Uint8Array,
  srcOff: number,
  len: number,
  out: Uint8Array,
): number {
  if (blockNumber < 0 || blockNumber >= MAX_LOAD_BLOCKS || len < 1 || srcOff < 0 || srcOff + len > src.length) return -1;
  const o = startCommand(out, CLA_GP, INS_LOAD, last ? P1_LAST_BLOCK : P1_MORE_BLOCKS, blockNumber);
  if (o < 0 || o + len > out.length) return -1;
  copy(src, srcOff, out, o, len);
  return finishCase4(out, o + len);
}

/**
 * Checks that file[0, len) is a load file (layout above): optional E2 DAP blocks, then exactly one
 * C4 block that ends the file. Returns the offset of the load file data block's value, or -1.
 */
export function findLoadFileDataBlock(file: Uint8Array, len: number, reader: TlvReader): number {
  reader.reset(file, 0, len);
  while (reader.next()) {
    if (reader.tag === TAG_LOAD_FILE_DATA_BLOCK) {
      return reader.valueOff + reader.length === len && reader.length > 0 ? reader.valueOff : -1;
    }
    if (reader.tag !== TAG_DAP_BLOCK) return -1;
  }
  return -1;
}
