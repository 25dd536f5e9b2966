import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, MAX_FRAME_PAYLOAD } from '../../host/vpcd/wire';

const bytes = (...v: number[]): Uint8Array => Uint8Array.of(...v);

describe('vpcd framing (docs/vpcd-pcscd.md "vpcd protocol")', () => {
  it('prefixes a 2-byte big-endian length', () => {
    expect(encodeFrame(bytes(0x04))).toEqual(bytes(0x00, 0x01, 0x04));
    const big = new Uint8Array(0x1234);
    const frame = encodeFrame(big);
    expect(frame.length).toBe(0x1236);
    expect(frame.subarray(0, 2)).toEqual(bytes(0x12, 0x34));
  });

  it('refuses a payload the 16-bit length cannot express', () => {
    expect(() => encodeFrame(new Uint8Array(MAX_FRAME_PAYLOAD + 1))).toThrow(RangeError);
    expect(encodeFrame(new Uint8Array(MAX_FRAME_PAYLOAD)).length).toBe(MAX_FRAME_PAYLOAD + 2);
  });

  it('decodes frames split at every byte boundary', () => {
    const stream = new Uint8Array([...encodeFrame(bytes(1, 2, 3, 4, 5)), ...encodeFrame(bytes(0x04))]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames).toEqual([
        { kind: 'frame', payload: bytes(1, 2, 3, 4, 5) },
        { kind: 'frame', payload: bytes(0x04) },
      ]);
      expect(decoder.idle).toBe(true);
    }
  });

  it('decodes a byte-at-a-time stream and coalesced frames alike', () => {
    const stream = new Uint8Array([...encodeFrame(bytes(9, 9)), ...encodeFrame(new Uint8Array(0)), ...encodeFrame(bytes(7))]);
    const decoder = new FrameDecoder();
    const trickled = [];
    for (const b of stream) trickled.push(...decoder.push(bytes(b)));
    expect(trickled).toEqual(new FrameDecoder().push(stream));
    expect(trickled.map((f) => (f.kind === 'frame' ? f.payload.length : -1))).toEqual([2, 0, 1]);
  });

  it('skips an oversize frame exactly and stays in step', () => {
    const decoder = new FrameDecoder(8);
    const stream = new Uint8Array([...encodeFrame(new Uint8Array(20).fill(0xaa)), ...encodeFrame(bytes(0x00, 0xa4))]);
    const frames = [...decoder.push(stream.subarray(0, 5)), ...decoder.push(stream.subarray(5))];
    expect(frames).toEqual([{ kind: 'oversize', length: 20 }, { kind: 'frame', payload: bytes(0x00, 0xa4) }]);
    expect(decoder.idle).toBe(true);
  });

  it('reports a partial frame as not idle', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(bytes(0x00, 0x03, 0x01))).toEqual([]);
    expect(decoder.idle).toBe(false);
  });

  it('rejects a limit outside the 16-bit range', () => {
    expect(() => new FrameDecoder(MAX_FRAME_PAYLOAD + 1)).toThrow(RangeError);
    expect(() => new FrameDecoder(-1)).toThrow(RangeError);
  });
});
