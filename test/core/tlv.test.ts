import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { TlvReader, TlvWriter } from '../../firmware/src/core/tlv';

// GET STATUS entry from GPPro TestParseTags.java (GPCS ch. 11), abbreviated to its first fields.
const E3 = 'e31d4f08a0000000030000009f700101c5039efe80cc08a000000003000000';

describe('TlvReader', () => {
  it('walks a GP registry entry (E3 with 4F, 9F70, C5, CC)', () => {
    const b = fromHex(E3);
    const outer = new TlvReader().reset(b, 0, b.length);
    expect(outer.next()).toBe(true);
    expect(outer.tag).toBe(0xe3);
    const inner = new TlvReader().reset(b, outer.valueOff, outer.length);
    const seen: string[] = [];
    while (inner.next()) seen.push(inner.tag.toString(16) + '=' + toHex(b, inner.valueOff, inner.length));
    expect(inner.malformed).toBe(false);
    expect(seen).toEqual(['4f=a000000003000000', '9f70=01', 'c5=9efe80', 'cc=a000000003000000']);
    expect(outer.next()).toBe(false);
  });

  it('reads 81 and 82 length forms', () => {
    const v = new Uint8Array(300).fill(0xab);
    const w = new TlvWriter().reset(new Uint8Array(600), 0);
    w.tlv(0xc4, v, 0, 200);
    w.tlv(0xc4, v, 0, 300);
    const r = new TlvReader().reset(w.buf, 0, w.pos);
    expect(toHex(w.buf, 0, 3)).toBe('c481c8');
    expect(r.next() && r.length).toBe(200);
    expect(r.next() && r.length).toBe(300);
    expect(toHex(w.buf, 203, 4)).toBe('c482012c');
  });

  it('stops with malformed set on truncated or oversized input', () => {
    for (const bad of ['4f08a000', '9f', '4f', '4f83000001', 'df8181']) {
      const b = fromHex(bad);
      const r = new TlvReader().reset(b, 0, b.length);
      while (r.next());
      expect(r.malformed, bad).toBe(true);
    }
  });

  it('find() locates a tag on one level', () => {
    const b = fromHex('4f01aa9f650200ff');
    const r = new TlvReader().reset(b, 0, b.length);
    expect(r.find(0x9f65)).toBe(true);
    expect(toHex(b, r.valueOff, r.length)).toBe('00ff');
  });
});

describe('TlvWriter', () => {
  it('builds nested TLVs and grows lengths past 127 bytes', () => {
    const w = new TlvWriter().reset(new Uint8Array(512), 0);
    w.open(0xe3);
    w.tlv(0x4f, fromHex('a000000151000000'), 0, 8);
    w.byteTlv(0x9f70, 0x01);
    w.close();
    expect(toHex(w.buf, 0, w.pos)).toBe('e30e4f08a0000001510000009f700101');
    w.reset(w.buf, 0);
    w.open(0xe3);
    w.raw(new Uint8Array(130), 0, 130);
    w.close();
    expect(toHex(w.buf, 0, 3)).toBe('e38182');
    expect(w.pos).toBe(133);
  });

  it('flags overflow instead of writing past the buffer', () => {
    const w = new TlvWriter().reset(new Uint8Array(8), 0);
    w.tlv(0x4f, new Uint8Array(10), 0, 10);
    expect(w.overflow).toBe(true);
    expect(w.pos).toBe(0);
  });
});
