/**
 * Card content loading: INSTALL [for load] then LOAD blocks (GPCS 11.5.2.3 / 11.6).
 *
 * LOAD blocks must arrive with strictly sequential P2 block numbers (00, 01, ... modulo 256). The
 * Load File Data Block value (after `C4 len`) is cut into ELF_CHUNK_LEN chunks and written to the
 * store as it arrives, inside one store transaction that the last block commits together with the
 * ELF record. Any error, reset or other command aborts the transaction: no trace of a partial load.
 *
 *   LOAD data, first block:  C4 | len (1-4 bytes BER) | package header (A0 ...) | ...
 */
import type { CommandApdu } from '../apdu';
import { copy, fill, writeU16, writeU24 } from '../bytes';
import { P1_LAST_BLOCK } from '../gp/constants';
import type { Store } from '../store/store';
import { SW } from '../sw';
import { validAidLength } from './aid';
import type { ApduResponse } from './applet';
import { PackageHeader } from './package-header';
import {
  ELF_AID,
  ELF_AID_LEN,
  ELF_APP_CLASS,
  ELF_CHUNK_LEN,
  ELF_DATA_LEN,
  ELF_MODULE,
  ELF_MODULE_LEN,
  ELF_RECORD_LEN,
  ELF_VERSION,
  REC_ELF,
  REC_ELF_CHUNK_BASE,
} from './records';
import type { Registry } from './registry';

const TAG_LOAD_FILE_DATA_BLOCK = 0xc4;
/** Largest Load File Data Block accepted (3-byte length field of the ELF record). */
export const MAX_LOAD_FILE_LEN = 0xfffff;

type LoadState = 'IDLE' | 'EXPECT_FIRST_BLOCK' | 'LOADING';

export class ContentLoader {
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly header = new PackageHeader();
  private readonly elf = new Uint8Array(ELF_RECORD_LEN);
  private readonly chunk = new Uint8Array(ELF_CHUNK_LEN);
  private state: LoadState = 'IDLE';
  private elfIndex = -1;
  private nextBlock = 0;
  private chunkFill = 0;
  private chunkIndex = 0;
  private expected = 0;
  private received = 0;

  constructor(store: Store, registry: Registry) {
    this.store = store;
    this.registry = registry;
  }

  /**
   * INSTALL [for load] data (GPCS Table 11-42):
   *   len | load file AID | len | SD AID (00 or ISD) | len | hash | len | load params | len | token
   */
  installForLoad(cmd: CommandApdu, rsp: ApduResponse): number {
    this.abort();
    const b = cmd.buf;
    const end = cmd.dataOff + cmd.lc;
    let p = cmd.dataOff;
    if (p >= end) return SW.ERR_CHECKING_WRONG_LENGTH;
    const aidLen = b[p++];
    if (!validAidLength(aidLen) || p + aidLen > end) return SW.ERR_WRONG_DATA;
    const aidOff = p;
    p += aidLen;
    // SD AID, hash, load parameters, token: each LV, checked for length only.
    for (let field = 0; field < 4; field++) {
      if (p >= end) return SW.ERR_WRONG_DATA;
      const l = b[p++];
      if (p + l > end) return SW.ERR_WRONG_DATA;
      p += l;
    }
    if (p !== end) return SW.ERR_WRONG_DATA;
    if (this.registry.findElf(b, aidOff, aidLen) >= 0) return SW.ERR_CONDITIONS_NOT_SATISFIED;
    const index = this.registry.freeElf();
    if (index < 0) return SW.ERR_NOT_ENOUGH_MEMORY;
    fill(this.elf, 0, ELF_RECORD_LEN, 0);
    this.elf[ELF_AID_LEN] = aidLen;
    copy(b, aidOff, this.elf, ELF_AID, aidLen);
    this.elfIndex = index;
    this.nextBlock = 0;
    this.state = 'EXPECT_FIRST_BLOCK';
    rsp.buf[0] = 0;
    rsp.len = 1;
    return SW.OK;
  }

  /** LOAD `80 E8 P1 P2 Lc block` (P1 80 = last block, P2 = block number). */
  load(cmd: CommandApdu, rsp: ApduResponse): number {
    if (this.state === 'IDLE') return SW.ERR_CONDITIONS_NOT_SATISFIED;
    if ((cmd.p1 & 0x7f) !== 0 || cmd.p2 !== this.nextBlock) return this.fail(SW.ERR_WRONG_P1P2);
    if (cmd.lc === 0) return this.fail(SW.ERR_CHECKING_WRONG_LENGTH);
    let off = cmd.dataOff;
    let len = cmd.lc;
    if (this.state === 'EXPECT_FIRST_BLOCK') {
      const skip = this.startLoad(cmd.buf, off, len);
      if (skip < 0) return this.fail(-skip);
      off += skip;
      len -= skip;
    }
    if (this.received + len > this.expected) return this.fail(SW.ERR_WRONG_DATA);
    if (!this.append(cmd.buf, off, len)) return this.fail(SW.ERR_NOT_ENOUGH_MEMORY);
    this.nextBlock = (this.nextBlock + 1) & 0xff;
    if ((cmd.p1 & P1_LAST_BLOCK) !== 0) {
      const sw = this.finish();
      if (sw !== SW.OK) return this.fail(sw);
    }
    rsp.buf[0] = 0;
    rsp.len = 1;
    return SW.OK;
  }

  /** Discards a load in progress (error, reset, another command, session end). */
  abort(): void {
    if (this.state === 'LOADING') this.store.abort();
    this.state = 'IDLE';
    this.elfIndex = -1;
    this.chunkFill = 0;
    fill(this.chunk, 0, ELF_CHUNK_LEN, 0);
  }

  /** Parses `C4 len` and the package header; opens the store transaction. Returns bytes to skip or -SW. */
  private startLoad(b: Uint8Array, off: number, len: number): number {
    if (len < 2 || b[off] !== TAG_LOAD_FILE_DATA_BLOCK) return -SW.ERR_WRONG_DATA;
    let p = off + 1;
    let total = b[p++];
    if (total > 0x80) {
      const n = total - 0x80;
      if (n > 3 || p + n > off + len) return -SW.ERR_WRONG_DATA;
      total = 0;
      for (let i = 0; i < n; i++) total = total * 256 + b[p++];
    } else if (total === 0x80) {
      return -SW.ERR_WRONG_DATA;
    }
    if (total === 0 || total > MAX_LOAD_FILE_LEN) return -SW.ERR_WRONG_DATA;
    const headerLen = p - off;
    if (!this.header.parse(b, p, len - headerLen)) return -SW.ERR_WRONG_DATA;
    writeU16(this.elf, ELF_VERSION, this.header.version);
    writeU24(this.elf, ELF_DATA_LEN, total);
    this.elf[ELF_MODULE_LEN] = this.header.moduleAid.length;
    copy(this.header.moduleAid.bytes, 0, this.elf, ELF_MODULE, this.header.moduleAid.length);
    this.elf[ELF_APP_CLASS] = this.header.appClass;
    this.store.begin();
    const chunks = Math.floor((total + ELF_CHUNK_LEN - 1) / ELF_CHUNK_LEN);
    if (!this.store.reserve(chunks + 1, total + ELF_RECORD_LEN)) {
      this.store.abort();
      return -SW.ERR_NOT_ENOUGH_MEMORY;
    }
    this.state = 'LOADING';
    this.expected = total;
    this.received = 0;
    this.chunkFill = 0;
    this.chunkIndex = 0;
    return headerLen;
  }

  private append(b: Uint8Array, off: number, len: number): boolean {
    let p = off;
    const end = off + len;
    while (p < end) {
      let take = ELF_CHUNK_LEN - this.chunkFill;
      if (take > end - p) take = end - p;
      copy(b, p, this.chunk, this.chunkFill, take);
      this.chunkFill += take;
      p += take;
      if (this.chunkFill === ELF_CHUNK_LEN && !this.flushChunk()) return false;
    }
    this.received += len;
    return true;
  }

  private flushChunk(): boolean {
    if (!this.store.put(REC_ELF_CHUNK_BASE + this.elfIndex, this.chunkIndex, this.chunk, 0, this.chunkFill)) return false;
    this.chunkIndex++;
    this.chunkFill = 0;
    return true;
  }

  private finish(): number {
    if (this.received !== this.expected) return SW.ERR_WRONG_DATA;
    if (this.chunkFill > 0 && !this.flushChunk()) return SW.ERR_NOT_ENOUGH_MEMORY;
    if (!this.store.put(REC_ELF, this.elfIndex, this.elf, 0, ELF_RECORD_LEN)) return SW.ERR_NOT_ENOUGH_MEMORY;
    if (!this.store.commit()) return SW.ERR_MEMORY_FAILURE;
    this.state = 'IDLE';
    this.elfIndex = -1;
    this.registry.reload();
    return SW.OK;
  }

  private fail(sw: number): number {
    this.abort();
    return sw;
  }
}
