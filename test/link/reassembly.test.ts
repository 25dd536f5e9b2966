/**
 * Segmentation and reassembly (3GPP TS 23.040 §9.2.3.24.1): every frame fits
 * 140 octets, parts may come in any order or twice, and everything else is refused with a reason.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { REASSEMBLY, Reassembler, ReassemblerSettings } from '../../firmware/src/core/link/reassembler';
import { SEGMENT_TOO_LONG, Segmenter, SegmenterSettings } from '../../firmware/src/core/link/segmenter';
import { PACKET_COMMAND, PACKET_RESPONSE, REF_16, SMS_USER_DATA_MAX } from '../../firmware/src/core/link/udh';

/** A well-formed packet body: CPL/RPL (length of the rest) then filler. */
function packet(len: number, seed = 1): Uint8Array {
  const p = new Uint8Array(len);
  p[0] = ((len - 2) >> 8) & 0xff;
  p[1] = (len - 2) & 0xff;
  for (let i = 2; i < len; i++) p[i] = (i * 7 + seed) & 0xff;
  return p;
}

function frames(p: Uint8Array, kind = PACKET_COMMAND, ref = 0x42, settings = new SegmenterSettings()): Uint8Array[] {
  const seg = new Segmenter(settings);
  const n = seg.begin(p, 0, p.length, kind, ref);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(seg.next()!.slice());
  expect(seg.next()).toBeNull();
  return out;
}

function push(r: Reassembler, f: Uint8Array, now = 0): number {
  return r.push(f, 0, f.length, now);
}

const delivered = (r: Reassembler): string => toHex(r.packet, 0, r.packetLength);

describe('Segmenter', () => {
  it('keeps a short packet in one frame with UDH 02 70 00', () => {
    const p = packet(137);
    const f = frames(p);
    expect(f).toHaveLength(1);
    expect(toHex(f[0].subarray(0, 3))).toBe('027000');
    expect(f[0].length).toBe(SMS_USER_DATA_MAX);
  });

  it('splits a longer packet into <= 140-octet frames, CPI only in the first (8-bit ref: 132 + 134...)', () => {
    const p = packet(500);
    const f = frames(p, PACKET_RESPONSE, 0x42);
    expect(f.map((x) => x.length)).toEqual([140, 140, 140, 500 - 132 - 134 - 134 + 6]);
    expect(toHex(f[0].subarray(0, 8))).toBe('0700034204017100');
    expect(toHex(f[1].subarray(0, 6))).toBe('050003420402');
    for (const x of f) expect(x.length).toBeLessThanOrEqual(SMS_USER_DATA_MAX);
  });

  it('uses IEI 08 with a 16-bit reference when set (131 + 133...)', () => {
    const s = new SegmenterSettings();
    s.refWidth = REF_16;
    const f = frames(packet(300), PACKET_COMMAND, 0xbeef, s);
    expect(toHex(f[0].subarray(0, 9))).toBe('080804beef03017000');
    expect(toHex(f[2].subarray(0, 7))).toBe('060804beef0303');
    expect(f[2].length).toBe(7 + 300 - 131 - 133);
  });

  it('refuses a packet needing more than maxParts frames', () => {
    const seg = new Segmenter(new SegmenterSettings());
    const p = packet(132 + 7 * 134 + 1);
    expect(seg.begin(p, 0, p.length, PACKET_COMMAND, 1)).toBe(SEGMENT_TOO_LONG);
  });

  it('defaults to 140-octet frames; a larger size is an explicit setting', () => {
    expect(new SegmenterSettings().frameSize).toBe(140);
    expect(new ReassemblerSettings().frameSize).toBe(140);
    const s = new SegmenterSettings();
    s.frameSize = 512;
    expect(frames(packet(500), PACKET_COMMAND, 1, s)).toHaveLength(1);
  });
});

describe('Reassembler', () => {
  it('reassembles parts in order and in reverse order', () => {
    const p = packet(600);
    const f = frames(p);
    const r = new Reassembler(new ReassemblerSettings());
    for (let i = 0; i < f.length - 1; i++) expect(push(r, f[i])).toBe(REASSEMBLY.PART_STORED);
    expect(push(r, f[f.length - 1])).toBe(REASSEMBLY.COMPLETE);
    expect(delivered(r)).toBe(toHex(p));
    expect(r.packetKind).toBe(PACKET_COMMAND);

    const r2 = new Reassembler(new ReassemblerSettings());
    const codes = [...f].reverse().map((x) => push(r2, x));
    expect(codes.at(-1)).toBe(REASSEMBLY.COMPLETE);
    expect(delivered(r2)).toBe(toHex(p));
  });

  it('interleaves two packets under different references', () => {
    const a = packet(300, 1);
    const b = packet(260, 2);
    const fa = frames(a, PACKET_COMMAND, 1);
    const fb = frames(b, PACKET_RESPONSE, 2);
    const r = new Reassembler(new ReassemblerSettings());
    push(r, fa[2]);
    push(r, fb[1]);
    push(r, fa[0]);
    expect(push(r, fb[0])).toBe(REASSEMBLY.COMPLETE);
    expect(delivered(r)).toBe(toHex(b));
    expect(r.packetKind).toBe(PACKET_RESPONSE);
    expect(push(r, fa[1])).toBe(REASSEMBLY.COMPLETE);
    expect(delivered(r)).toBe(toHex(a));
  });

  it('ignores an exact duplicate, before and after completion (QoS 1 redelivery)', () => {
    const p = packet(300);
    const f = frames(p);
    const r = new Reassembler(new ReassemblerSettings());
    expect(push(r, f[1])).toBe(REASSEMBLY.PART_STORED);
    expect(push(r, f[1])).toBe(REASSEMBLY.DUPLICATE);
    push(r, f[0]);
    expect(push(r, f[2])).toBe(REASSEMBLY.COMPLETE);
    expect(push(r, f[0])).toBe(REASSEMBLY.DUPLICATE);
    expect(r.pending()).toBe(0);
  });

  it('refuses a conflicting duplicate and drops that reassembly', () => {
    const p = packet(300);
    const f = frames(p);
    const r = new Reassembler(new ReassemblerSettings());
    push(r, f[0]);
    push(r, f[1]);
    const forged = f[1].slice();
    forged[20] ^= 0x01;
    expect(push(r, forged)).toBe(REASSEMBLY.CONFLICTING_DUPLICATE);
    expect(r.pending()).toBe(0);
    // The remaining part alone cannot complete anything.
    expect(push(r, f[2])).toBe(REASSEMBLY.PART_STORED);
  });

  it('refuses malformed headers with MALFORMED_HEADER', () => {
    const bad = [
      '', // empty frame
      '00aabb', // UDHL 0: no packet identifier
      '09700000', // UDHL past the frame
      '02700100', // CPI with a data octet (IEDL 1)
      '0370007100aa', // CPI and RPI together
      '050003010300aa', // seq 0
      '050003010304aa', // seq > total
      '050003010001aa', // total 0
      '0500020101aa', // 8-bit concatenation IE of length 2
      '0a0003010301080401010301aa', // two concatenation IEs
      '0700030103027000aa', // CPI outside the first part
      '050003010301aa', // first part without CPI/RPI
      '027000', // header only, no user data
      '03700001', // IE running past the UDH
    ];
    const r = new Reassembler(new ReassemblerSettings());
    for (const hex of bad) expect(push(r, fromHex(hex)), hex).toBe(REASSEMBLY.MALFORMED_HEADER);
    expect(r.pending()).toBe(0);
  });

  it('skips an unknown information element', () => {
    const r = new Reassembler(new ReassemblerSettings());
    // UDHL 5: IEI 24 (national language single shift, TS 23.040 §9.2.3.24.15) then CPI.
    expect(push(r, fromHex('0524010070000001ff'))).toBe(REASSEMBLY.COMPLETE);
    expect(delivered(r)).toBe('0001ff');
  });

  it('refuses a frame over the frame size and a packet over maxParts', () => {
    const r = new Reassembler(new ReassemblerSettings());
    expect(push(r, new Uint8Array(141))).toBe(REASSEMBLY.FRAME_TOO_LONG);
    expect(push(r, fromHex('0700030109017000aa'))).toBe(REASSEMBLY.TOO_MANY_PARTS); // 9 parts > 8
  });

  it('bounds concurrent reassemblies (4): a fifth evicts the open one with the fewest parts, least recently fed', () => {
    const r = new Reassembler(new ReassemblerSettings());
    const firsts = [1, 2, 3, 4, 5].map((ref) => frames(packet(300, ref), PACKET_COMMAND, ref));
    for (let i = 0; i < 4; i++) expect(push(r, firsts[i][0])).toBe(REASSEMBLY.PART_STORED);
    expect(push(r, firsts[0][1])).toBe(REASSEMBLY.PART_STORED); // 1 now holds two parts
    expect(push(r, firsts[4][0])).toBe(REASSEMBLY.PART_STORED); // evicts 2: one part, fed before 3 and 4
    expect(r.pending()).toBe(4);
    expect(push(r, firsts[0][2])).toBe(REASSEMBLY.COMPLETE);
    expect(delivered(r)).toBe(toHex(packet(300, 1)));
    // 2 starts again from its first part
    expect(push(r, firsts[1][1])).toBe(REASSEMBLY.PART_STORED);
  });

  it('junk first parts cannot hold every slot: a real transfer evicts them and keeps its slot while its parts come', () => {
    const r = new Reassembler(new ReassemblerSettings());
    const junk = [11, 12, 13, 14, 15, 16].map((ref) => frames(packet(300, ref), PACKET_COMMAND, ref)[0]);
    for (let i = 0; i < 4; i++) expect(push(r, junk[i])).toBe(REASSEMBLY.PART_STORED);
    const real = frames(packet(300, 7), PACKET_COMMAND, 7);
    expect(push(r, real[0])).toBe(REASSEMBLY.PART_STORED); // evicts junk[0]
    expect(push(r, real[1])).toBe(REASSEMBLY.PART_STORED);
    // more junk evicts junk, not the transfer holding two parts
    for (const j of junk.slice(4)) expect(push(r, j)).toBe(REASSEMBLY.PART_STORED);
    expect(push(r, real[2])).toBe(REASSEMBLY.COMPLETE);
    expect(delivered(r)).toBe(toHex(packet(300, 7)));
    expect(r.pending()).toBe(3); // junk[3..5]; junk[0..2] were evicted, least recently fed first
  });

  it('drops an unfinished reassembly after the timeout (time passed in)', () => {
    const s = new ReassemblerSettings();
    s.timeoutS = 30;
    const r = new Reassembler(s);
    const f = frames(packet(300));
    expect(push(r, f[0], 1000)).toBe(REASSEMBLY.PART_STORED);
    expect(push(r, f[1], 1029)).toBe(REASSEMBLY.PART_STORED);
    expect(r.expire(1030)).toBe(1);
    expect(r.pending()).toBe(0);
    // The late last part starts a new reassembly instead of completing a stale one.
    expect(push(r, f[2], 1031)).toBe(REASSEMBLY.PART_STORED);
  });

  it('refuses a packet whose truncated segment makes it shorter than its CPL', () => {
    const p = packet(300);
    const f = frames(p);
    const r = new Reassembler(new ReassemblerSettings());
    push(r, f[0]);
    push(r, f[1].subarray(0, f[1].length - 1));
    expect(push(r, f[2])).toBe(REASSEMBLY.LENGTH_MISMATCH);
    expect(r.pending()).toBe(0);
    const single = frames(packet(40))[0];
    expect(push(r, single.subarray(0, single.length - 3))).toBe(REASSEMBLY.LENGTH_MISMATCH);
  });

  it('reassembles every split of random-length packets in shuffled order', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const r = new Reassembler(new ReassemblerSettings());
    for (let round = 0; round < 50; round++) {
      const p = packet(2 + rnd(1000), round);
      const f = frames(p, PACKET_COMMAND, round);
      for (let i = f.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [f[i], f[j]] = [f[j], f[i]];
      }
      const codes = f.map((x) => push(r, x));
      expect(codes.at(-1)).toBe(REASSEMBLY.COMPLETE);
      expect(delivered(r)).toBe(toHex(p));
    }
  });
});
