import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import {
  FRAME, FRAME_BUFFER_SIZE, FrameInfo, TFI_HOST_TO_PN532, decodeFrame, encodeAck, encodeFrame, encodeNack, pdOffsetFor,
} from '../../firmware/src/core/pn532/frame';
import { ACK_HEX, ERROR_FRAME_HEX, NACK_HEX, VECTORS } from '../../firmware/src/core/pn532/frame.vectors';
import { buildTgInitAsTarget, buildTgSetData, CMD_TG_SET_DATA, CMD_TG_SET_META_DATA } from '../../firmware/src/core/pn532/commands';

function encode(tfi: number, pd: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_BUFFER_SIZE);
  out.set(pd, pdOffsetFor(pd.length));
  const n = encodeFrame(out, tfi, pd.length);
  expect(n).toBeGreaterThan(0);
  return out.subarray(0, n);
}

describe('PN532 frame codec (PN532 User Manual §6.2.1)', () => {
  for (const v of VECTORS) {
    it(`encodes and decodes ${v.name}`, () => {
      expect(toHex(encode(v.tfi, fromHex(v.pd)))).toBe(v.hex);
      const bytes = fromHex(v.hex);
      const info = new FrameInfo();
      expect(decodeFrame(bytes, 0, bytes.length, info)).toBe(FRAME.INFO);
      expect(info.tfi).toBe(v.tfi);
      expect(toHex(bytes, info.pdOffset, info.pdLength)).toBe(v.pd);
      expect(info.end).toBe(bytes.length);
    });
  }

  it('writes ACK and NACK and recognises them', () => {
    const b = new Uint8Array(6);
    encodeAck(b, 0);
    expect(toHex(b)).toBe(ACK_HEX);
    expect(decodeFrame(b, 0, 6, new FrameInfo())).toBe(FRAME.ACK);
    encodeNack(b, 0);
    expect(toHex(b)).toBe(NACK_HEX);
    expect(decodeFrame(b, 0, 6, new FrameInfo())).toBe(FRAME.NACK);
  });

  it('recognises the syntax-error frame', () => {
    const b = fromHex(ERROR_FRAME_HEX);
    expect(decodeFrame(b, 0, b.length, new FrameInfo())).toBe(FRAME.ERROR_FRAME);
  });

  it('uses an extended frame above 254 PD bytes: FF FF LENm LENl LCS', () => {
    const pd = new Uint8Array(263);
    pd[0] = 0x8e;
    for (let i = 1; i < pd.length; i++) pd[i] = i & 0xff;
    const frame = encode(TFI_HOST_TO_PN532, pd);
    // LEN = TFI + 263 = 264 = 0x0108; LCS = -(01 + 08) = F7
    expect(toHex(frame, 0, 9)).toBe('0000ffffff0108f7d4');
    expect(frame.length).toBe(263 + 11);
    const info = new FrameInfo();
    expect(decodeFrame(frame, 0, frame.length, info)).toBe(FRAME.INFO);
    expect(info.pdLength).toBe(263);
    expect(toHex(frame, info.pdOffset, info.pdLength)).toBe(toHex(pd));
  });

  it('keeps 254 PD bytes in a normal frame (LEN FF)', () => {
    const frame = encode(TFI_HOST_TO_PN532, new Uint8Array(254));
    expect(toHex(frame, 0, 6)).toBe('0000ffff01d4');
  });

  it('rejects PD lengths it cannot frame', () => {
    const out = new Uint8Array(FRAME_BUFFER_SIZE);
    expect(encodeFrame(out, TFI_HOST_TO_PN532, 0)).toBe(FRAME.BAD_LENGTH);
    expect(encodeFrame(out, TFI_HOST_TO_PN532, 265)).toBe(FRAME.BAD_LENGTH);
    expect(encodeFrame(new Uint8Array(10), TFI_HOST_TO_PN532, 5)).toBe(FRAME.BAD_LENGTH);
  });

  it('skips leading zeros (the optional preamble, or padding after the I2C status byte)', () => {
    const b = fromHex('000000' + VECTORS[1].hex);
    const info = new FrameInfo();
    expect(decodeFrame(b, 0, b.length, info)).toBe(FRAME.INFO);
    expect(info.pdOffset).toBe(3 + 6);
  });

  it('names each kind of damage', () => {
    const good = fromHex(VECTORS[1].hex);
    const info = new FrameInfo();
    const damaged = (i: number, v: number) => {
      const b = good.slice();
      b[i] = v;
      return decodeFrame(b, 0, b.length, info);
    };
    expect(damaged(4, 0xfb)).toBe(FRAME.BAD_LCS);
    expect(damaged(8, 0x02)).toBe(FRAME.BAD_DCS);
    expect(damaged(good.length - 1, 0x55)).toBe(FRAME.BAD_POSTAMBLE);
    expect(damaged(2, 0xfe)).toBe(FRAME.BAD_START);
    expect(decodeFrame(good, 0, good.length - 3, info)).toBe(FRAME.TRUNCATED);
    expect(decodeFrame(new Uint8Array(4), 0, 4, info)).toBe(FRAME.TRUNCATED);
    const zeroLen = fromHex('0000ff0000d500');
    expect(decodeFrame(zeroLen, 0, zeroLen.length, info)).toBe(FRAME.BAD_LENGTH);
  });
});

describe('PN532 target-mode command PDs (PN532 User Manual §7)', () => {
  it('builds TgInitAsTarget for ISO 14443-4 PICC with historical bytes', () => {
    const out = new Uint8Array(64);
    const n = buildTgInitAsTarget(out, 0, {
      sensRes: fromHex('0400'),
      nfcid1t: fromHex('123456'),
      historical: fromHex('8073'),
      historicalLength: 2,
    });
    expect(toHex(out, 0, n)).toBe('8c05' + '0400' + '123456' + '20' + '00'.repeat(28) + '00' + '02' + '8073');
  });

  it('refuses historical bytes over 48 and wrong NFCID1t sizes', () => {
    const out = new Uint8Array(128);
    expect(buildTgInitAsTarget(out, 0, { sensRes: fromHex('0400'), nfcid1t: fromHex('12'), historical: new Uint8Array(0), historicalLength: 0 })).toBe(-1);
    expect(buildTgInitAsTarget(out, 0, { sensRes: fromHex('0400'), nfcid1t: fromHex('123456'), historical: new Uint8Array(49), historicalLength: 49 })).toBe(-1);
  });

  it('splits a response into TgSetMetaData parts and a final TgSetData', () => {
    const out = new Uint8Array(300);
    const src = fromHex('0102039000');
    expect(buildTgSetData(out, 0, true, src, 0, 3)).toBe(4);
    expect(out[0]).toBe(CMD_TG_SET_META_DATA);
    expect(buildTgSetData(out, 0, false, src, 3, 2)).toBe(3);
    expect(toHex(out, 0, 3)).toBe('8e9000');
    expect(out[0]).toBe(CMD_TG_SET_DATA);
    expect(buildTgSetData(out, 0, false, new Uint8Array(263), 0, 263)).toBe(-1);
  });
});
