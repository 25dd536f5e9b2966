/**
 * The other side of the purse protocol for tests: the issuer's load host (MAC2 for a load) and the
 * terminal's PSAM (MAC1 for a purchase, checking MAC2 and TAC), built on the same core PurseCrypto
 * the card uses, with the card's diversified keys.
 */
import { expect } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { PurseCrypto } from '../../firmware/src/core/applets/purse/purse-crypto';
import { softPbocCrypto } from '../../firmware/src/core/crypto/soft-pboc';
import type { PurseCardKeys } from '../../firmware/src/core/package/card-keys';

export const TERMINAL_ID = '001122334455';

function u32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export class PurseTerminal {
  private readonly crypto = new PurseCrypto(softPbocCrypto());
  readonly keys: PurseCardKeys;
  readonly keyIndex: number;

  constructor(keys: PurseCardKeys, keyIndex = 1) {
    this.keys = keys;
    this.keyIndex = keyIndex;
  }

  /** INITIALIZE FOR LOAD, P2 01 (ED) or 02 (EP). */
  initLoad(p2: number, amount: number, terminalId = TERMINAL_ID): string {
    return `805000${p2.toString(16).padStart(2, '0')}0b${this.keyIndex.toString(16).padStart(2, '0')}${u32(amount)}${terminalId}10`;
  }

  /** Checks MAC1 of the INITIALIZE FOR LOAD response (hex, without SW) and returns CREDIT FOR LOAD. */
  credit(initResponse: string, amount: number, txType: number, dateTime: string, terminalId = TERMINAL_ID): string {
    const r = fromHex(initResponse);
    expect(r.length).toBe(16);
    const balance = (r[0] << 24) | (r[1] << 16) | (r[2] << 8) | r[3];
    const counter = (r[4] << 8) | r[5];
    const mac = new Uint8Array(4);
    this.crypto.startLoad(this.keys.load, r, 8, counter);
    this.crypto.loadMac1({ amount, txType, terminalId: fromHex(terminalId) }, balance, mac, 0);
    expect(toHex(mac), 'MAC1 of INITIALIZE FOR LOAD').toBe(toHex(r, 12, 4));
    this.crypto.transactionMac({ amount, txType, terminalId: fromHex(terminalId) }, fromHex(dateTime), 0, mac);
    return `805200000b${dateTime}${toHex(mac)}04`;
  }

  /** The TAC the card must answer to that CREDIT. */
  loadTac(newBalance: number, counter: number, amount: number, txType: number, dateTime: string, terminalId = TERMINAL_ID): string {
    const out = new Uint8Array(4);
    this.crypto.loadTac(this.keys.tac, { amount, txType, terminalId: fromHex(terminalId) }, newBalance, counter, fromHex(dateTime), 0, out);
    return toHex(out);
  }

  initPurchase(p2: number, amount: number, terminalId = TERMINAL_ID): string {
    return `805001${p2.toString(16).padStart(2, '0')}0b${this.keyIndex.toString(16).padStart(2, '0')}${u32(amount)}${terminalId}0f`;
  }

  /** DEBIT FOR PURCHASE for an INITIALIZE FOR PURCHASE response (hex, without SW). */
  debit(initResponse: string, serial: string, amount: number, txType: number, dateTime: string, terminalId = TERMINAL_ID): string {
    const r = fromHex(initResponse);
    expect(r.length).toBe(15);
    const counter = (r[4] << 8) | r[5];
    const mac = new Uint8Array(4);
    this.crypto.startPurchase(this.keys.purchase, r, 11, counter, fromHex(serial), 0);
    this.crypto.transactionMac({ amount, txType, terminalId: fromHex(terminalId) }, fromHex(dateTime), 0, mac);
    return `805401000f${serial}${dateTime}${toHex(mac)}08`;
  }

  /** TAC || MAC2 the card must answer to that DEBIT (call right after debit()). */
  purchaseProof(serial: string, amount: number, txType: number, dateTime: string, terminalId = TERMINAL_ID): string {
    const out = new Uint8Array(8);
    this.crypto.purchaseTac(this.keys.tac, { amount, txType, terminalId: fromHex(terminalId) }, fromHex(serial), 0, fromHex(dateTime), 0, out);
    this.crypto.purchaseMac2(amount, out, 4);
    return toHex(out);
  }
}

/** A whole load: INITIALIZE, CREDIT; returns the TAC. */
export function load(send: (hex: string) => string, t: PurseTerminal, p2: number, amount: number, dateTime = '20240315120000'): string {
  const init = send(t.initLoad(p2, amount));
  expect(init.slice(-4), 'INITIALIZE FOR LOAD').toBe('9000');
  const txType = p2 === 1 ? 0x01 : 0x02;
  const r = send(t.credit(init.slice(0, -4), amount, txType, dateTime));
  expect(r.slice(-4), 'CREDIT FOR LOAD').toBe('9000');
  return r.slice(0, -4);
}

/** A whole purchase: INITIALIZE, DEBIT; returns TAC || MAC2 after checking both. */
export function purchase(send: (hex: string) => string, t: PurseTerminal, p2: number, amount: number, serial = '00000001', dateTime = '20240315123000'): string {
  const init = send(t.initPurchase(p2, amount));
  expect(init.slice(-4), 'INITIALIZE FOR PURCHASE').toBe('9000');
  const txType = p2 === 1 ? 0x05 : 0x06;
  const r = send(t.debit(init.slice(0, -4), serial, amount, txType, dateTime));
  expect(r.slice(-4), 'DEBIT FOR PURCHASE').toBe('9000');
  expect(r.slice(0, -4), 'TAC || MAC2').toBe(t.purchaseProof(serial, amount, txType, dateTime));
  return r.slice(0, -4);
}
