/**
 * pos-sim's pure pieces: the purse APDUs against the bytes JR/T 0025 e-purse commands and the JT/T 978 files and the applet tests
 * use, the --reader spec, amounts in yuan, and pcsc-lite error codes in @pokusew/pcsclite messages.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { formatAmount, parseAmount, bcdDateTime } from '../../pos-sim/src/purse/money';
import {
  buildCreditForLoad, buildDebitForPurchase, buildGetBalance, buildGetTransactionProve, buildInitializeForLoad, buildInitializeForPurchase,
  buildReadLogRecord, buildReadPublicInfo, buildSelect, parseLogRecord, parsePublicInfo, parseSelectResponse, PurseResponseError, TRANSIT_AID,
} from '../../pos-sim/src/purse/purse-apdus';
import { pcscErrorCode } from '../../pos-sim/src/reader/pcsc-reader';
import { parseReaderSpec } from '../../pos-sim/src/reader/reader';

describe('purse APDUs', () => {
  it('builds the commands a T-Union reader sends', () => {
    expect(toHex(buildSelect(TRANSIT_AID))).toBe('00a4040008a00000063201010500');
    expect(toHex(buildReadPublicInfo())).toBe('00b095001e');
    expect(toHex(buildGetBalance(2))).toBe('805c000204');
    expect(toHex(buildReadLogRecord(1))).toBe('00b201c400');
    const terminal = fromHex('001122334455');
    expect(toHex(buildInitializeForLoad(2, 1, 5000, terminal))).toBe('805000020b0100001388' + '001122334455' + '10');
    expect(toHex(buildInitializeForPurchase(2, 1, 200, terminal))).toBe('805001020b01000000c8' + '001122334455' + '0f');
    expect(toHex(buildCreditForLoad(fromHex('20240315120000'), fromHex('01020304')))).toBe('805200000b2024031512000001020304' + '04');
    expect(toHex(buildDebitForPurchase(fromHex('00000007'), fromHex('20240315123000'), fromHex('0a0b0c0d')))).toBe('805401000f' + '00000007' + '20240315123000' + '0a0b0c0d' + '08');
    expect(toHex(buildGetTransactionProve(0x06, 1))).toBe('805a0006020001' + '08');
  });

  it('refuses amounts a card cannot carry', () => {
    expect(() => buildInitializeForPurchase(2, 1, 0, fromHex('001122334455'))).toThrow(RangeError);
    expect(() => buildInitializeForPurchase(2, 1, 2 ** 31, fromHex('001122334455'))).toThrow(RangeError);
  });

  it('parses the FCI, SFI 15 and an SFI 18 record', () => {
    const info = '03e8000000000000' + '01' + '01' + '31041000000000012345' + '20240101' + '20291231' + '0000';
    const fci = parseSelectResponse(fromHex('6f2f' + '840aa00000063201010503e8' + 'a521' + '9f0c1e' + info));
    expect(toHex(fci.aid)).toBe('a00000063201010503e8');
    expect(toHex(fci.publicInfo!)).toBe(info);
    expect(parsePublicInfo(fromHex(info))).toMatchObject({ cardNumber: '31041000000000012345', appType: 1, validFrom: '2024-01-01', validTo: '2029-12-31' });
    expect(parseLogRecord(fromHex('0000' + '000000' + '000000c8' + '06' + '001122334455' + '20240315123000'))).toEqual({
      counter: 0, amount: 200, type: 6, kind: 'purchase', terminalId: '001122334455', dateTime: '2024-03-15 12:30:00',
    });
    expect(() => parsePublicInfo(fromHex(info.slice(2)))).toThrow(PurseResponseError);
    expect(() => parseSelectResponse(fromHex('6f0384'))).toThrow(PurseResponseError); // truncated
    expect(() => parseSelectResponse(fromHex('a5039f0c00'))).toThrow(PurseResponseError); // not an FCI
  });
});

describe('reader spec, amounts, PC/SC codes', () => {
  it('parses --reader', () => {
    expect(parseReaderSpec('direct:35990')).toEqual({ kind: 'direct', host: '127.0.0.1', port: 35990 });
    expect(parseReaderSpec('direct:0.0.0.0:35990')).toEqual({ kind: 'direct', host: '0.0.0.0', port: 35990 });
    expect(parseReaderSpec('pcsc')).toEqual({ kind: 'pcsc' });
    expect(parseReaderSpec('pcsc:ACS ACR122U')).toEqual({ kind: 'pcsc', name: 'ACS ACR122U' });
    for (const bad of ['direct:', 'direct:99999', 'pcsc:', 'vpcd:1', '']) expect(parseReaderSpec(bad), bad).toBeNull();
  });

  it('amounts in yuan with at most two decimals', () => {
    expect(parseAmount('2.00')).toBe(200);
    expect(parseAmount('50')).toBe(5000);
    expect(parseAmount('0.5')).toBe(50);
    for (const bad of ['0', '0.00', '-1', '2.001', 'abc', '1e3']) expect(parseAmount(bad), bad).toBeNull();
    expect(formatAmount(4800)).toBe('48.00');
    expect(formatAmount(5)).toBe('0.05');
    expect(toHex(bcdDateTime(new Date(2024, 2, 15, 9, 5, 7)))).toBe('20240315090507');
  });

  it('finds the pcsc-lite code in a pcsclite error message', () => {
    expect(pcscErrorCode('PC/SC transmit on Virtual PCD 00 00: SCardTransmit error: Card was removed.(0x80100069)')).toBe(0x80100069);
    expect(pcscErrorCode('something else')).toBe(-1);
  });
});
