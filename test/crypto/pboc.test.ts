import { describe, expect, it } from 'vitest';
import { PbocCrypto, pbocTacKey } from '../../firmware/src/core/crypto/pboc';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { softPbocCrypto } from '../../firmware/src/core/crypto/soft-pboc';
import { buildDesTables, DesTables, WordDes, WordTripleDes } from '../../firmware/src/board/espruino/word-des';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { nodePbocCrypto } from '../../net/crypto/node-des';
import { nodeEcb } from './_reference';

// Vectors: docs/standards.md "PBOC vectors". Load: zoukankan ttss-p-4280376 / ncuisine.com "基于PBOC的電子錢包的圈存過程";
// purchase: csdn slj_win/42240845, twblogs "基於PBOC的電子錢包消費交易過程".
const KEY = '11223344556677888877665544332211'; // DLK = DPK in both examples

function mac(pboc: PbocCrypto, keyHex: string, dataHex: string): string {
  const data = fromHex(dataHex);
  const out = new Uint8Array(4);
  pboc.mac(fromHex(keyHex), data, data.length, out, 0);
  return toHex(out);
}

function sessionKey(pboc: PbocCrypto, input: string): string {
  const out = new Uint8Array(8);
  pboc.sessionKey(fromHex(KEY), fromHex(input), out);
  return toHex(out);
}

describe.each([
  { engines: 'the portable engines', make: softPbocCrypto },
  { engines: "the servers' node:crypto engines", make: nodePbocCrypto },
])('PBOC e-purse crypto (JR/T 0025 e-purse security) on $engines', ({ make }) => {
  const pboc = make();

  it('load: SESLK, MAC1 and MAC2', () => {
    // SESLK = EDE(DLK, random 11223344 || online counter 0000 || 8000)
    const seslk = sessionKey(pboc, '11223344' + '0000' + '8000');
    expect(seslk).toBe('9b1d924e05595603');
    // MAC1 over old balance || amount || type 01 || terminal id
    expect(mac(pboc, seslk, '00000000' + '00001000' + '01' + '001122334455')).toBe('2988ae5a');
    // MAC2 over amount || type || terminal id || date || time
    expect(mac(pboc, seslk, '00001000' + '01' + '001122334455' + '20111221' + '214822')).toBe('3a845bf0');
  });

  it('purchase: SESPK, MAC1 and MAC2', () => {
    // SESPK = EDE(DPK, random 11223344 || offline counter 0000 || last 2 bytes of serial 0001)
    const sespk = sessionKey(pboc, '11223344' + '0000' + '0001');
    expect(sespk).toBe('003238abc57659dd');
    expect(mac(pboc, sespk, '00001000' + '06' + '001122334455' + '20120229' + '135100')).toBe('f15cab75');
    // MAC2 over the amount alone: 4 bytes, one padded block
    expect(mac(pboc, sespk, '00001000')).toBe('56988a13');
  });

  it('TAC key and the two TAC values of docs/standards.md "PBOC vectors" (self-computed there, consistency only)', () => {
    const tacKey = new Uint8Array(8);
    pbocTacKey(fromHex('479e71beff107a76138d34f84b2031ff'), 0, tacKey, 0);
    expect(toHex(tacKey)).toBe('54134546b4304b89');
    const purchase = '00001000' + '06' + '001122334455' + '00000001' + '20120229' + '135100';
    expect(mac(pboc, toHex(tacKey), purchase)).toBe('7ad0436a');
    const load = '00001000' + '0000' + '00001000' + '01' + '001122334455' + '20111221' + '214822';
    expect(mac(pboc, toHex(tacKey), load)).toBe('5b35865c');
  });

  it('the board engines MAC as the portable ones at every length, block-aligned ones included, and beyond cbcMac\'s buffer', () => {
    const tables = new DesTables(buildDesTables().buffer);
    const board = new PbocCrypto(new WordDes(tables), new WordTripleDes(tables, true));
    for (let len = 0; len <= 40; len++) {
      const data = new Uint8Array(len + 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 37 + len) & 0xff;
      const a = new Uint8Array(6);
      const b = new Uint8Array(6);
      pboc.mac(fromHex('0123456789abcdef'), data, len, a, 2);
      board.mac(fromHex('0123456789abcdef'), data, len, b, 2);
      expect(toHex(b)).toBe(toHex(a));
    }
  });

  it('pads with a full 80 00.. block when the data is block-aligned', () => {
    // 8 data bytes: CBC over two blocks; the second is exactly 80 00 00 00 00 00 00 00.
    const key = fromHex('9b1d924e05595603');
    const doubled = fromHex('9b1d924e05595603' + '9b1d924e05595603'); // EDE with K1 = K2 is single DES
    const first = nodeEcb('des-ede-ecb', doubled, fromHex('0000100000001000'), false);
    const second = fromHex('8000000000000000');
    for (let i = 0; i < 8; i++) second[i] ^= first[i];
    const expected = toHex(nodeEcb('des-ede-ecb', doubled, second, false), 0, 4);
    expect(mac(pboc, toHex(key), '0000100000001000')).toBe(expected);
  });

  it('diversify: left = 3DES(MK, D), right = 3DES(MK, D xor FF..FF), also in place', () => {
    const mk = fromHex(KEY);
    const d = fromHex('0102030405060708');
    const out = new Uint8Array(16);
    pboc.diversify(mk, d, 0, out);
    const left = nodeEcb('des-ede-ecb', mk, d, false);
    const right = nodeEcb('des-ede-ecb', mk, fromHex('fefdfcfbfaf9f8f7'), false);
    expect(toHex(out)).toBe(toHex(left) + toHex(right));
    const buf = fromHex('0102030405060708' + '0000000000000000');
    pboc.diversify(mk, buf, 0, buf);
    expect(toHex(buf)).toBe(toHex(out));
  });

  it('rejects keys and buffers that are too short', () => {
    expect(() => pboc.mac(new Uint8Array(4), new Uint8Array(4), 4, new Uint8Array(4), 0)).toThrow(/does not fit/);
    expect(() => pboc.mac(new Uint8Array(8), new Uint8Array(4), 8, new Uint8Array(4), 0)).toThrow(/does not fit/);
    expect(() => pboc.sessionKey(new Uint8Array(8), new Uint8Array(8), new Uint8Array(8))).toThrow(/does not fit/);
    expect(() => pboc.diversify(fromHex(KEY), new Uint8Array(8), 0, new Uint8Array(12))).toThrow(/does not fit/);
    expect(() => pbocTacKey(new Uint8Array(8), 0, new Uint8Array(8), 0)).toThrow(/does not fit/);
  });

  const tables = new DesTables(buildDesTables().buffer);
  it.each([
    { name: 'SoftDes', card: () => new PbocCrypto(new SoftDes(), new SoftTripleDes(), new SoftDes()) },
    // The board's engines: MACs through WordDes.cbcMac, session keys through WordDes.ede.
    { name: 'WordDes (board)', card: () => new PbocCrypto(new WordDes(tables), new WordTripleDes(tables, true), new WordDes(tables)) },
  ])('a card keeping its key schedules ($name) gives the same answers, also when keys and purposes alternate', ({ card: makeCard }) => {
    const card = makeCard();
    const dtk = fromHex('479e71beff107a76138d34f84b2031ff');
    const purchase = fromHex('00001000' + '06' + '001122334455' + '00000001' + '20120229' + '135100');
    const tac = () => {
      const out = new Uint8Array(4);
      card.tac(dtk, purchase, purchase.length, out);
      return toHex(out);
    };
    for (let round = 0; round < 2; round++) {
      expect(sessionKey(card, '11223344' + '0000' + '0001')).toBe('003238abc57659dd');
      expect(mac(card, '003238abc57659dd', '00001000' + '06' + '001122334455' + '20120229' + '135100')).toBe('f15cab75');
      expect(tac()).toBe('7ad0436a');
      expect(mac(card, '003238abc57659dd', '00001000')).toBe('56988a13');
      expect(sessionKey(card, '11223344' + '0000' + '8000')).toBe('9b1d924e05595603');
      expect(mac(card, '9b1d924e05595603', '00000000' + '00001000' + '01' + '001122334455')).toBe('2988ae5a');
      card.endSession();
    }
    // Another key of the same length is never answered from the kept schedule.
    expect(sessionKey(card, '11223344' + '0000' + '0001')).toBe('003238abc57659dd');
    const other = new Uint8Array(8);
    card.sessionKey(fromHex('00112233445566778877665544332211'), fromHex('1122334400000001'), other);
    expect(toHex(other)).toBe(toHex(nodeEcb('des-ede-ecb', fromHex('00112233445566778877665544332211'), fromHex('1122334400000001'), false)));
    card.forget();
    expect(tac()).toBe('7ad0436a');
  });
});
