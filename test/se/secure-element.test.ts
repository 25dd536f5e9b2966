/**
 * The SE's contactless interface with raw APDUs: routing, ISD FCI, GET DATA, the SCP03 gate and
 * the ISO/GP status words for malformed or unsupported commands.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { MAX_RESPONSE_LEN } from '../../firmware/src/core/se/secure-element';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { createSecureElement } from '../../host/se/virtual-se';

function boot(flash = new MemoryFlash(64)) {
  const se = createSecureElement({ flash, serial: fromHex('00112233445566778899') });
  se.boot();
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  const send = (hex: string) => {
    const cmd = fromHex(hex);
    return toHex(out, 0, se.transceive(cmd, cmd.length, out));
  };
  return { se, send, flash };
}

describe('SecureElement contactless interface', () => {
  it('answers reset with a PC/SC contactless ATR whose TCK checks out', () => {
    const { se } = boot();
    const atr = se.atr.subarray(0, se.reset());
    expect(toHex(atr, 0, 4)).toBe('3b8a8001');
    expect(atr.reduce((x, b, i) => (i === 0 ? 0 : x ^ b), 0)).toBe(0);
  });

  it('selects the ISD by AID and by empty SELECT, answering its FCI with 9F65', () => {
    const { send } = boot();
    const fci = '6f108408a000000151000000a5049f6501ff9000';
    expect(send('00a4040008a00000015100000000')).toBe(fci);
    expect(send('00a4040000')).toBe(fci);
  });

  it('GET DATA returns card recognition data and the key information template of KVN 30', () => {
    const { send } = boot();
    expect(send('80ca006600')).toMatch(/^6631732f06072a864886fc6b01.*2a864886fc6b0403709000$/);
    expect(send('80ca00e000')).toBe('e012c00401308810c00402308810c004033088109000');
  });

  it('refuses content management without a secure channel (6982)', () => {
    const { send } = boot();
    expect(send('80e602000c07a000000151000100000000')).toBe('6982');
    expect(send('80f24002024f0000')).toBe('6982');
  });

  it('INITIALIZE UPDATE answers KDD, key info 30 03 70, a fresh challenge and an increasing counter', () => {
    const { send } = boot();
    const r1 = send('8050300008000102030405060700');
    const r2 = send('8050300008000102030405060700');
    expect(r1).toMatch(/^00112233445566778899300370[0-9a-f]{32}0000019000$/);
    expect(r2.slice(-10, -4)).toBe('000002');
    expect(r1.slice(26, 42)).not.toBe(r2.slice(26, 42));
    expect(send('8050310008000102030405060700')).toBe('6a88');
  });

  it('keeps the sequence counter across a reboot (challenges are never reused)', () => {
    const flash = new MemoryFlash(64);
    boot(flash).send('8050300008000102030405060700');
    expect(boot(flash).send('8050300008000102030405060700').slice(-10, -4)).toBe('000002');
  });

  it('answers standard status words to bad commands', () => {
    const { send } = boot();
    expect(send('00a404')).toBe('6700');
    expect(send('00a4040008a000000151')).toBe('6700');
    expect(send('90ca006600')).toBe('6e00');
    expect(send('80aa000000')).toBe('6d00');
    expect(send('01a4040000')).toBe('6881');
    expect(send('00a4040005a00000099900')).toBe('6a82');
    expect(send('8050300009000102030405060700ff')).toBe('6700');
    expect(send('848200001000000000000000000000000000000000')).toBe('6985');
  });
});
