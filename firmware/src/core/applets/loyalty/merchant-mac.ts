/**
 * The loyalty card's MACs, computed the same way by the card and by the merchant server (so this
 * file is shared by both): AES-128 CMAC (NIST SP 800-38B, crypto/cmac.ts) with the card's loyalty
 * key (package/card-keys.ts), truncated to the leftmost 8 bytes.
 *
 *   authorisation (server -> card)  CMAC(K, 00 | INS | value(4) | cardCounter(2) | terminalId(6) | dateTime(7))
 *   receipt       (card -> server)  CMAC(K, 01 | INS | value(4) | newCounter(2) | newPoints(4) | terminalId(6) | dateTime(7))
 *
 * The issue asks for a MAC over amount, card counter, terminal id and date-time; the leading domain
 * byte keeps a receipt from ever passing as an authorisation, and INS binds the operation, so an
 * authorised REDEEM cannot be replayed as an EARN. The card counter makes every MAC single-use.
 */
import { copy, fill, writeU16, writeU31 } from '../../bytes';
import type { BlockCipher } from '../../crypto/block-cipher';
import { Cmac } from '../../crypto/cmac';

export const LOYALTY_MAC_LEN = 8;
export const LOYALTY_KEY_LEN = 16;
export const TERMINAL_ID_LEN = 6;
export const DATE_TIME_LEN = 7;
const DOMAIN_AUTHORISATION = 0x00;
const DOMAIN_RECEIPT = 0x01;
const MAX_MESSAGE = 25;
const BLOCK = 16;

export class MerchantMac {
  private readonly cipher: BlockCipher;
  private readonly cmac: Cmac;
  private readonly msg = new Uint8Array(MAX_MESSAGE);
  private readonly full = new Uint8Array(BLOCK);

  constructor(cipher: BlockCipher) {
    this.cipher = cipher;
    this.cmac = new Cmac(cipher);
  }

  authorisation(key: Uint8Array, keyOff: number, ins: number, value: number, counter: number, termId: Uint8Array, tOff: number, dateTime: Uint8Array, dOff: number, out: Uint8Array, outOff: number): void {
    const m = this.msg;
    m[0] = DOMAIN_AUTHORISATION;
    m[1] = ins;
    writeU31(m, 2, value);
    writeU16(m, 6, counter);
    copy(termId, tOff, m, 8, TERMINAL_ID_LEN);
    copy(dateTime, dOff, m, 14, DATE_TIME_LEN);
    this.mac(key, keyOff, 21, out, outOff);
  }

  receipt(key: Uint8Array, keyOff: number, ins: number, value: number, newCounter: number, newPoints: number, termId: Uint8Array, tOff: number, dateTime: Uint8Array, dOff: number, out: Uint8Array, outOff: number): void {
    const m = this.msg;
    m[0] = DOMAIN_RECEIPT;
    m[1] = ins;
    writeU31(m, 2, value);
    writeU16(m, 6, newCounter);
    writeU31(m, 8, newPoints);
    copy(termId, tOff, m, 12, TERMINAL_ID_LEN);
    copy(dateTime, dOff, m, 18, DATE_TIME_LEN);
    this.mac(key, keyOff, MAX_MESSAGE, out, outOff);
  }

  private mac(key: Uint8Array, keyOff: number, len: number, out: Uint8Array, outOff: number): void {
    this.cipher.setKey(key, keyOff, LOYALTY_KEY_LEN);
    this.cmac.start();
    this.cmac.update(this.msg, 0, len);
    this.cmac.finish(this.full, 0);
    copy(this.full, 0, out, outOff, LOYALTY_MAC_LEN);
    this.cmac.wipe();
    this.cipher.wipe();
    fill(this.full, 0, BLOCK, 0);
    fill(this.msg, 0, MAX_MESSAGE, 0);
  }
}
