/**
 * Random access to a stored Load File Data Block (the value of tag C4), kept as ELF_CHUNK_LEN
 * chunks under REC_ELF_CHUNK_BASE + elf index. Applets read their package sections through it at
 * INSTALL time, so the whole load file never sits in RAM.
 */
import { copy } from '../bytes';
import type { Store } from '../store/store';
import { ELF_CHUNK_LEN, REC_ELF_CHUNK_BASE } from './records';

export class ElfReader {
  private readonly store: Store;
  private readonly chunk = new Uint8Array(ELF_CHUNK_LEN);
  private elf = -1;
  private cached = -1;
  length = 0;

  constructor(store: Store) {
    this.store = store;
  }

  open(elfIndex: number, length: number): void {
    this.elf = elfIndex;
    this.length = length;
    this.cached = -1;
  }

  /** Copies len bytes at off into out; returns false if the range is outside the file or a chunk is missing. */
  read(off: number, out: Uint8Array, outOff: number, len: number): boolean {
    if (this.elf < 0 || off < 0 || len < 0 || off + len > this.length || outOff + len > out.length) return false;
    let done = 0;
    while (done < len) {
      const at = off + done;
      const index = Math.floor(at / ELF_CHUNK_LEN);
      if (index !== this.cached) {
        const n = this.store.get(REC_ELF_CHUNK_BASE + this.elf, index, this.chunk, 0);
        if (n < 0) return false;
        this.cached = index;
      }
      const inChunk = at - index * ELF_CHUNK_LEN;
      let take = ELF_CHUNK_LEN - inChunk;
      if (take > len - done) take = len - done;
      copy(this.chunk, inChunk, out, outOff + done, take);
      done += take;
    }
    return true;
  }

  /** Reads one byte, or -1 outside the file. */
  byteAt(off: number): number {
    return this.read(off, this.chunk1, 0, 1) ? this.chunk1[0] : -1;
  }

  private readonly chunk1 = new Uint8Array(1);
  /** Set by findTag(): the value's offset and length in the file. */
  foundOff = 0;
  foundLen = 0;

  /**
   * Walks the BER-TLVs in [start, end) of the file (one level) for tag; on success sets foundOff and
   * foundLen. Tags of up to 2 bytes, lengths up to 82 xx xx (tlv.ts rules).
   */
  findTag(tag: number, start: number, end: number): boolean {
    let p = start;
    while (p < end) {
      let t = this.byteAt(p++);
      if (t < 0) return false;
      if ((t & 0x1f) === 0x1f) {
        const t2 = this.byteAt(p++);
        if (t2 < 0 || (t2 & 0x80) !== 0) return false;
        t = (t << 8) | t2;
      }
      let len = this.byteAt(p++);
      if (len === 0x81) {
        len = this.byteAt(p++);
      } else if (len === 0x82) {
        const hi = this.byteAt(p++);
        const lo = this.byteAt(p++);
        if (hi < 0 || lo < 0) return false;
        len = (hi << 8) | lo;
      } else if (len > 0x7f) {
        return false;
      }
      if (len < 0 || p + len > end) return false;
      if (t === tag) {
        this.foundOff = p;
        this.foundLen = len;
        return true;
      }
      p += len;
    }
    return false;
  }
}
