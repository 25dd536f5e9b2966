/**
 * BER-TLV (ISO/IEC 8825-1 as used by ISO 7816-4 and GlobalPlatform), read and written in place.
 *
 *   tag:    1..3 bytes; low 5 bits 11111 in the first byte => more tag bytes follow, each with b8
 *           set while more follow. Tags are handled as numbers (e.g. 0x9F70, 0xBF3E).
 *   length: 00..7F one byte; 81 xx; 82 xx xx (longer forms are rejected).
 *   value:  length bytes.
 *
 * TlvReader walks one level of a buffer without allocating; nested values are read with a second
 * reader over [valueOff, valueOff + length).
 */
import { shr } from './bits';
import { copy } from './bytes';

export const TLV_MAX_TAG_BYTES = 3;

export class TlvReader {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  tag = 0;
  length = 0;
  valueOff = 0;
  /** Set when next() stopped on malformed input (as opposed to the normal end). */
  malformed = false;

  reset(buf: Uint8Array, off: number, len: number): TlvReader {
    this.buf = buf;
    this.pos = off;
    this.end = off + len > buf.length ? buf.length : off + len;
    this.malformed = off + len > buf.length;
    this.tag = 0;
    this.length = 0;
    this.valueOff = 0;
    return this;
  }

  /** Advances to the next TLV; false at the end or on malformed input (see `malformed`). */
  next(): boolean {
    if (this.malformed || this.pos >= this.end) return false;
    const b = this.buf;
    let p = this.pos;
    let tag = b[p++];
    if ((tag & 0x1f) === 0x1f) {
      let n = 1;
      for (;;) {
        if (p >= this.end || n >= TLV_MAX_TAG_BYTES) return this.fail();
        const t = b[p++];
        tag = (tag << 8) | t;
        n++;
        if ((t & 0x80) === 0) break;
      }
    }
    if (p >= this.end) return this.fail();
    let len = b[p++];
    if (len === 0x81) {
      if (p + 1 > this.end) return this.fail();
      len = b[p++];
    } else if (len === 0x82) {
      if (p + 2 > this.end) return this.fail();
      len = (b[p] << 8) | b[p + 1];
      p += 2;
    } else if (len > 0x7f) {
      return this.fail();
    }
    if (p + len > this.end) return this.fail();
    this.tag = tag;
    this.length = len;
    this.valueOff = p;
    this.pos = p + len;
    return true;
  }

  /** Scans forward from the current position for tag; true with the reader on it. */
  find(tag: number): boolean {
    while (this.next()) if (this.tag === tag) return true;
    return false;
  }

  private fail(): boolean {
    this.malformed = true;
    return false;
  }
}

export function tagSize(tag: number): number {
  if (tag > 0xffff) return 3;
  if (tag > 0xff) return 2;
  return 1;
}

export function lengthSize(len: number): number {
  if (len < 0x80) return 1;
  if (len < 0x100) return 2;
  return 3;
}

/** Writes a tag; returns the offset after it. */
export function writeTag(buf: Uint8Array, off: number, tag: number): number {
  const n = tagSize(tag);
  if (n === 3) buf[off++] = shr(tag, 16) & 0xff;
  if (n >= 2) buf[off++] = shr(tag, 8) & 0xff;
  buf[off++] = tag & 0xff;
  return off;
}

/** Writes a definite length (1..3 bytes); returns the offset after it. */
export function writeLength(buf: Uint8Array, off: number, len: number): number {
  if (len < 0x80) {
    buf[off++] = len;
  } else if (len < 0x100) {
    buf[off++] = 0x81;
    buf[off++] = len;
  } else {
    buf[off++] = 0x82;
    buf[off++] = shr(len, 8) & 0xff;
    buf[off++] = len & 0xff;
  }
  return off;
}

/**
 * Writes tag || length || value[valueOff..+len] at off; returns the offset after it, or -1 if the
 * TLV would not fit in buf.
 */
export function writeTlv(buf: Uint8Array, off: number, tag: number, value: Uint8Array, valueOff: number, len: number): number {
  if (off + tagSize(tag) + lengthSize(len) + len > buf.length) return -1;
  const o = writeLength(buf, writeTag(buf, off, tag), len);
  copy(value, valueOff, buf, o, len);
  return o + len;
}

/**
 * Builds constructed TLVs whose length is known only after the content is written: open(tag)
 * reserves a one-byte length, close() fixes it and moves the content when it needs 81/82 form.
 * Depth is bounded (TLV_WRITER_DEPTH). A write past the end of the buffer sets `overflow`.
 */
export const TLV_WRITER_DEPTH = 4;

export class TlvWriter {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  overflow = false;
  private readonly starts: number[] = [0, 0, 0, 0];
  private depth = 0;

  reset(buf: Uint8Array, off: number): TlvWriter {
    this.buf = buf;
    this.pos = off;
    this.overflow = false;
    this.depth = 0;
    return this;
  }

  open(tag: number): void {
    if (this.depth >= TLV_WRITER_DEPTH) throw new Error('TlvWriter: nesting deeper than ' + TLV_WRITER_DEPTH);
    if (!this.room(tagSize(tag) + 1)) return;
    this.pos = writeTag(this.buf, this.pos, tag);
    this.starts[this.depth++] = this.pos;
    this.buf[this.pos++] = 0;
  }

  close(): void {
    if (this.depth === 0) throw new Error('TlvWriter: close() without open()');
    const lenAt = this.starts[--this.depth];
    if (this.overflow) return;
    const contentLen = this.pos - lenAt - 1;
    const extra = lengthSize(contentLen) - 1;
    if (extra > 0) {
      if (!this.room(extra)) return;
      for (let i = this.pos - 1; i > lenAt; i--) this.buf[i + extra] = this.buf[i];
      this.pos += extra;
    }
    writeLength(this.buf, lenAt, contentLen);
  }

  tlv(tag: number, value: Uint8Array, off: number, len: number): void {
    if (!this.room(tagSize(tag) + lengthSize(len) + len)) return;
    this.pos = writeTlv(this.buf, this.pos, tag, value, off, len);
  }

  /** A TLV whose value is one byte. */
  byteTlv(tag: number, v: number): void {
    if (!this.room(tagSize(tag) + 2)) return;
    this.pos = writeTag(this.buf, this.pos, tag);
    this.buf[this.pos++] = 1;
    this.buf[this.pos++] = v & 0xff;
  }

  raw(value: Uint8Array, off: number, len: number): void {
    if (!this.room(len)) return;
    copy(value, off, this.buf, this.pos, len);
    this.pos += len;
  }

  private room(n: number): boolean {
    if (this.overflow || this.pos + n > this.buf.length) {
      this.overflow = true;
      return false;
    }
    return true;
  }
}
