/**
 * The merchant loyalty card: points and coupons (docs/apdu.md "Loyalty").
 *
 *   80 5C 00 00 06   GET POINTS     -> points(4) | counter(2)
 *   80 30 00 00 19   EARN           value = points to add
 *   80 32 00 00 19   REDEEM         value = points to take
 *   80 34 00 00 19   ADD COUPON     value = coupon id (issued date = the command's date)
 *   80 36 00 00 19   USE COUPON     value = coupon id
 *     data: value(4) | terminalId(6) | dateTime(7, BCD) | MAC(8)   (merchant-mac.ts)
 *     -> points(4) | counter(2) | receipt(8), all after the change
 *   80 38 00 00 00   GET COUPONS    -> count x (id(4) | issued date(4))
 *
 * The MAC is checked against the card's counter, which goes up by one with every change, so a
 * replayed command fails (9302). Bad MACs spend tries on flash before the comparison; at 0 the
 * card is locked (9303). The change, the counter and the card-manager record are one commit.
 */
import type { CommandApdu } from '../../apdu';
import { copy, equalCt, fill, readU16, readU31, writeU16, writeU31 } from '../../bytes';
import type { ApduResponse, Applet, AppletContext } from '../../se/applet';
import { CM_STATUS_ACTIVE, CM_STATUS_LOCKED } from '../../se/card-manager';
import { CARD_NUMBER_LEN, KEY_AT_VALUE, KEY_ENTRY_LEN } from '../../package/format';
import { SW } from '../../sw';
import { DATE_TIME_LEN, LOYALTY_MAC_LEN, MerchantMac, TERMINAL_ID_LEN } from './merchant-mac';
import {
  CFG_CARD_NUMBER,
  CFG_CEILING,
  CONFIG_LEN,
  COUPON_ID_LEN,
  COUPON_LEN,
  MAC_TRY_LIMIT,
  MAX_COUPONS,
  REC_CONFIG,
  REC_KEY,
  REC_STATE,
  STATE_LEN,
  ST_COUNTER,
  ST_COUPONS,
  ST_COUPON_COUNT,
  ST_MAC_TRIES,
  ST_POINTS,
} from './records';

export const CLA_LOYALTY = 0x80;
export const INS_GET_POINTS = 0x5c;
export const INS_EARN = 0x30;
export const INS_REDEEM = 0x32;
export const INS_ADD_COUPON = 0x34;
export const INS_USE_COUPON = 0x36;
export const INS_GET_COUPONS = 0x38;
export const OPERATION_DATA_LEN = 4 + TERMINAL_ID_LEN + DATE_TIME_LEN + LOYALTY_MAC_LEN;
const AT_TERMINAL = 4;
const AT_DATE_TIME = AT_TERMINAL + TERMINAL_ID_LEN;
const AT_MAC = AT_DATE_TIME + DATE_TIME_LEN;
const MAX_COUNTER = 0xffff;
const P2_NO_FCI = 0x0c;

export class LoyaltyApplet implements Applet {
  private readonly ctx: AppletContext;
  private readonly config = new Uint8Array(CONFIG_LEN);
  private readonly state = new Uint8Array(STATE_LEN);
  private readonly next = new Uint8Array(STATE_LEN);
  private readonly key = new Uint8Array(KEY_ENTRY_LEN);
  private readonly expected = new Uint8Array(LOYALTY_MAC_LEN);
  private readonly mac: MerchantMac;
  private readonly ready: boolean;

  constructor(ctx: AppletContext) {
    this.ctx = ctx;
    this.mac = new MerchantMac(ctx.services.aes());
    const s = ctx.services.store;
    this.ready = s.get(ctx.dataType, REC_CONFIG, this.config, 0) === CONFIG_LEN && s.get(ctx.dataType, REC_STATE, this.state, 0) === STATE_LEN;
  }

  /** FCI: 6F { 84 AID, A5 { 5A card number } }. */
  select(cmd: CommandApdu, rsp: ApduResponse): number {
    if (!this.ready) return SW.ERR_FILE_NOT_FOUND;
    if ((cmd.p2 & P2_NO_FCI) === P2_NO_FCI) return SW.OK;
    const w = this.ctx.services.writer.reset(rsp.buf, 0);
    w.open(0x6f);
    w.tlv(0x84, this.ctx.aid, 0, this.ctx.aidLen);
    w.open(0xa5);
    w.tlv(0x5a, this.config, CFG_CARD_NUMBER, CARD_NUMBER_LEN);
    w.close();
    w.close();
    rsp.len = w.pos;
    return SW.OK;
  }

  process(cmd: CommandApdu, rsp: ApduResponse): number {
    if (cmd.cla !== CLA_LOYALTY) return SW.ERR_CLA_NOT_SUPPORTED;
    const ins = cmd.ins;
    if (ins !== INS_GET_POINTS && ins !== INS_EARN && ins !== INS_REDEEM && ins !== INS_ADD_COUPON && ins !== INS_USE_COUPON && ins !== INS_GET_COUPONS) {
      return SW.ERR_INS_NOT_SUPPORTED;
    }
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return SW.ERR_WRONG_P1P2;
    if (ins === INS_GET_POINTS) return this.getPoints(cmd, rsp);
    if (ins === INS_GET_COUPONS) return this.getCoupons(cmd, rsp);
    return this.operate(cmd, rsp);
  }

  deselect(): void {}

  private getPoints(cmd: CommandApdu, rsp: ApduResponse): number {
    if (cmd.lc !== 0) return SW.ERR_CHECKING_WRONG_LENGTH;
    copy(this.state, ST_POINTS, rsp.buf, 0, 6);
    rsp.len = 6;
    return SW.OK;
  }

  private getCoupons(cmd: CommandApdu, rsp: ApduResponse): number {
    if (cmd.lc !== 0) return SW.ERR_CHECKING_WRONG_LENGTH;
    const n = this.state[ST_COUPON_COUNT] * COUPON_LEN;
    copy(this.state, ST_COUPONS, rsp.buf, 0, n);
    rsp.len = n;
    return SW.OK;
  }

  private operate(cmd: CommandApdu, rsp: ApduResponse): number {
    if (cmd.lc !== OPERATION_DATA_LEN) return SW.ERR_CHECKING_WRONG_LENGTH;
    if (this.state[ST_MAC_TRIES] === 0) return SW.PURSE_APPLICATION_LOCKED;
    const b = cmd.buf;
    const d = cmd.dataOff;
    const value = readU31(b, d);
    const counter = readU16(this.state, ST_COUNTER);
    if (counter >= MAX_COUNTER) return SW.PURSE_COUNTER_AT_MAX;
    // Refuse what cannot be applied before any MAC work, then apply again for real after the MAC.
    copy(this.state, 0, this.next, 0, STATE_LEN);
    let sw = this.apply(cmd.ins, value, b, d + AT_DATE_TIME);
    if (sw !== SW.OK) return sw;
    const s = this.ctx.services.store;
    if (s.get(this.ctx.dataType, REC_KEY, this.key, 0) !== KEY_ENTRY_LEN) return SW.ERR_REFERENCED_DATA_NOT_FOUND;

    copy(this.state, 0, this.next, 0, STATE_LEN);
    this.next[ST_MAC_TRIES] = this.state[ST_MAC_TRIES] - 1;
    sw = this.commit(this.next[ST_MAC_TRIES] === 0 ? CM_STATUS_LOCKED : -1, 0, 0, b, 0);
    if (sw === SW.OK) {
      this.mac.authorisation(this.key, KEY_AT_VALUE, cmd.ins, value, counter, b, d + AT_TERMINAL, b, d + AT_DATE_TIME, this.expected, 0);
      sw = equalCt(this.expected, 0, b, d + AT_MAC, LOYALTY_MAC_LEN) ? SW.OK : SW.PURSE_MAC_INVALID;
      fill(this.expected, 0, LOYALTY_MAC_LEN, 0);
    }
    if (sw === SW.OK) {
      copy(this.state, 0, this.next, 0, STATE_LEN);
      this.apply(cmd.ins, value, b, d + AT_DATE_TIME);
      this.next[ST_MAC_TRIES] = MAC_TRY_LIMIT;
      writeU16(this.next, ST_COUNTER, counter + 1);
      sw = this.commit(CM_STATUS_ACTIVE, cmd.ins, value, b, d + AT_DATE_TIME);
    }
    if (sw === SW.OK) {
      const points = readU31(this.state, ST_POINTS);
      copy(this.state, ST_POINTS, rsp.buf, 0, 6);
      this.mac.receipt(this.key, KEY_AT_VALUE, cmd.ins, value, counter + 1, points, b, d + AT_TERMINAL, b, d + AT_DATE_TIME, rsp.buf, 6);
      rsp.len = 6 + LOYALTY_MAC_LEN;
    }
    fill(this.key, 0, KEY_ENTRY_LEN, 0);
    return sw;
  }

  /** Applies one operation to `next`; returns its SW (nothing is written to flash here). */
  private apply(ins: number, value: number, dateTime: Uint8Array, dtOff: number): number {
    const n = this.next;
    const points = readU31(n, ST_POINTS);
    if (value <= 0) return SW.ERR_WRONG_DATA;
    if (ins === INS_EARN) {
      if (value > readU31(this.config, CFG_CEILING) - points) return SW.ERR_WRONG_DATA;
      writeU31(n, ST_POINTS, points + value);
      return SW.OK;
    }
    if (ins === INS_REDEEM) {
      if (value > points) return SW.PURSE_INSUFFICIENT_BALANCE;
      writeU31(n, ST_POINTS, points - value);
      return SW.OK;
    }
    const count = n[ST_COUPON_COUNT];
    const at = this.findCoupon(value);
    if (ins === INS_ADD_COUPON) {
      if (at >= 0) return SW.ERR_WRONG_DATA;
      if (count >= MAX_COUPONS) return SW.ERR_NOT_ENOUGH_MEMORY;
      const slot = ST_COUPONS + count * COUPON_LEN;
      writeU31(n, slot, value);
      copy(dateTime, dtOff, n, slot + COUPON_ID_LEN, 4);
      n[ST_COUPON_COUNT] = count + 1;
      return SW.OK;
    }
    // USE COUPON: remove it, keeping the others in order.
    if (at < 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    const end = ST_COUPONS + count * COUPON_LEN;
    copy(n, at + COUPON_LEN, n, at, end - at - COUPON_LEN);
    fill(n, end - COUPON_LEN, COUPON_LEN, 0);
    n[ST_COUPON_COUNT] = count - 1;
    return SW.OK;
  }

  /** Offset in `next` of the coupon with this id, or -1. */
  private findCoupon(id: number): number {
    const n = this.next;
    for (let i = 0; i < n[ST_COUPON_COUNT]; i++) {
      const at = ST_COUPONS + i * COUPON_LEN;
      if (readU31(n, at) === id) return at;
    }
    return -1;
  }

  /**
   * Commits `next` as STATE; cmStatus >= 0 also rewrites the card-manager record (points, status,
   * and the operation as last transaction when ins is not 0).
   */
  private commit(cmStatus: number, ins: number, value: number, dateTime: Uint8Array, dtOff: number): number {
    const s = this.ctx.services.store;
    const cm = this.ctx.services.cardManager;
    s.begin();
    let ok = s.put(this.ctx.dataType, REC_STATE, this.next, 0, STATE_LEN);
    if (ok && cmStatus >= 0) {
      ok = cm.load(this.ctx.slot);
      if (ok) {
        cm.setBalance(readU31(this.next, ST_POINTS));
        if (ins !== 0) cm.setLastTransaction(ins, value, readU16(this.state, ST_COUNTER), dateTime, dtOff);
        cm.setStatus(cmStatus);
        ok = cm.stage(this.ctx.slot);
      }
    }
    if (!ok || !s.commit()) {
      s.abort();
      return SW.ERR_MEMORY_FAILURE;
    }
    copy(this.next, 0, this.state, 0, STATE_LEN);
    return SW.OK;
  }
}
