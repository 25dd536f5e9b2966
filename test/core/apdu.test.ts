import { describe, expect, it } from 'vitest';
import { CommandApdu, LE_ABSENT, encodeCommand, parseCommand } from '../../firmware/src/core/apdu';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { SW } from '../../firmware/src/core/sw';

// ISO/IEC 7816-4 §5.1 cases, short and extended.
const CASES: { hex: string; apduCase: number; lc: number; le: number; extended: boolean; why: string }[] = [
  { hex: '00a40400', apduCase: 1, lc: 0, le: LE_ABSENT, extended: false, why: 'case 1' },
  { hex: '80ca006600', apduCase: 2, lc: 0, le: 256, extended: false, why: 'case 2S, Le 00 = 256' },
  { hex: '805c000204', apduCase: 2, lc: 0, le: 4, extended: false, why: 'GET BALANCE' },
  { hex: '00a4040008a000000151000000', apduCase: 3, lc: 8, le: LE_ABSENT, extended: false, why: 'case 3S SELECT ISD' },
  { hex: '00a4040008a00000015100000000', apduCase: 4, lc: 8, le: 256, extended: false, why: 'case 4S' },
  { hex: '80ca00660000000', apduCase: 0, lc: 0, le: 0, extended: true, why: 'odd digit (skipped)' },
  { hex: '00b00000000100', apduCase: 2, lc: 0, le: 256, extended: true, why: 'case 2E Le 0100' },
  { hex: '00b00000000000', apduCase: 2, lc: 0, le: 65536, extended: true, why: 'case 2E Le 0000 = 65536' },
];

describe('parseCommand (ISO 7816-4 §5.1)', () => {
  const cmd = new CommandApdu();
  for (const c of CASES.filter((x) => x.hex.length % 2 === 0)) {
    it(`${c.why}: ${c.hex}`, () => {
      const b = fromHex(c.hex);
      expect(parseCommand(b, b.length, cmd)).toBe(0);
      expect([cmd.apduCase, cmd.lc, cmd.le, cmd.extended]).toEqual([c.apduCase, c.lc, c.le, c.extended]);
    });
  }

  it('case 3E and 4E with 300 data bytes', () => {
    const data = new Uint8Array(300).map((_, i) => i & 0xff);
    const out = new Uint8Array(320);
    const n3 = encodeCommand(0x80, 0xe8, 0x00, 0x01, data, 0, 300, LE_ABSENT, out, 0);
    expect(n3).toBe(4 + 3 + 300);
    expect(parseCommand(out, n3, cmd)).toBe(0);
    expect([cmd.apduCase, cmd.lc, cmd.extended, cmd.dataOff]).toEqual([3, 300, true, 7]);
    expect(cmd.buf[cmd.dataOff + 299]).toBe(299 & 0xff);
    const n4 = encodeCommand(0x80, 0xe8, 0x00, 0x01, data, 0, 300, 256, out, 0);
    expect(n4).toBe(4 + 3 + 300 + 2);
    expect(parseCommand(out, n4, cmd)).toBe(0);
    expect([cmd.apduCase, cmd.le]).toEqual([4, 256]);
  });

  it('rejects lengths that do not match the bytes with 6700', () => {
    for (const bad of ['00a404', '00a4040008a0000001', '00a4040002a0000000ff', '00a40400000005a0', '00b000000000']) {
      const b = fromHex(bad);
      expect(parseCommand(b, b.length, cmd), bad).toBe(SW.ERR_CHECKING_WRONG_LENGTH);
    }
  });

  it('rejects a declared length longer than the buffer', () => {
    const b = fromHex('00a40400');
    expect(parseCommand(b, 9, cmd)).toBe(SW.ERR_CHECKING_WRONG_LENGTH);
  });
});

describe('encodeCommand', () => {
  it('round-trips the short cases', () => {
    const out = new Uint8Array(64);
    const aid = fromHex('a000000151000000');
    expect(toHex(out, 0, encodeCommand(0x00, 0xa4, 0x04, 0x00, aid, 0, 8, 256, out, 0))).toBe('00a4040008a00000015100000000');
    expect(toHex(out, 0, encodeCommand(0x80, 0xca, 0x00, 0x66, null, 0, 0, 256, out, 0))).toBe('80ca006600');
    expect(toHex(out, 0, encodeCommand(0x80, 0xca, 0x00, 0x66, null, 0, 0, LE_ABSENT, out, 0))).toBe('80ca0066');
  });
  it('refuses to overflow the output', () => {
    expect(encodeCommand(0x00, 0xa4, 0x04, 0x00, new Uint8Array(8), 0, 8, 256, new Uint8Array(10), 0)).toBe(-1);
  });
});
