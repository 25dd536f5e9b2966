/**
 * The merchant loyalty card's commands as a POS sends them (docs/apdu.md "Loyalty cards"; the card
 * side is firmware/src/core/applets/loyalty), pure builders and parsers:
 *
 *   SELECT       00 A4 04 00 Lc AID 00       -> 6F { 84 AID, A5 { 5A card number(10) } }
 *   GET POINTS   80 5C 00 00 06              -> points(4) counter(2)
 *   EARN / REDEEM / ADD COUPON / USE COUPON
 *                80 INS 00 00 19 value(4) terminalId(6) dateTime(7) MAC(8)
 *                                            -> points(4) counter(2) receipt(8), after the change
 *   GET COUPONS  80 38 00 00 00              -> n x (id(4) issued date(4, BCD))
 */
import { readU16, readU31, writeU31 } from '../../../firmware/src/core/bytes';
import { toHex } from '../../../firmware/src/core/hex';
import { CLA_LOYALTY, INS_GET_COUPONS, INS_GET_POINTS, OPERATION_DATA_LEN } from '../../../firmware/src/core/applets/loyalty/loyalty-applet';
import { DATE_TIME_LEN, LOYALTY_MAC_LEN, TERMINAL_ID_LEN } from '../../../firmware/src/core/applets/loyalty/merchant-mac';
import { COUPON_LEN } from '../../../firmware/src/core/applets/loyalty/records';
import { CARD_NUMBER_LEN } from '../../../firmware/src/core/package/format';
import { TlvReader } from '../../../firmware/src/core/tlv';
import { PurseResponseError } from '../purse/purse-apdus';

/** F0 'TAPC' 'LY': any merchant's loyalty application, by partial name (package/aids.ts). */
export const LOYALTY_AID_PREFIX = Uint8Array.of(0xf0, 0x54, 0x41, 0x50, 0x43, 0x4c, 0x59);
const POINTS_LEN = 6;
const OPERATION_RESPONSE_LEN = POINTS_LEN + LOYALTY_MAC_LEN;

export function buildGetPoints(): Uint8Array {
  return Uint8Array.of(CLA_LOYALTY, INS_GET_POINTS, 0, 0, POINTS_LEN);
}

export function parsePoints(data: Uint8Array): { points: number; counter: number } {
  if (data.length !== POINTS_LEN) throw new PurseResponseError(`GET POINTS: expected ${POINTS_LEN} bytes, got ${data.length}`);
  return { points: readU31(data, 0), counter: readU16(data, 4) };
}

export function buildOperation(ins: number, value: number, terminalId: Uint8Array, dateTime: Uint8Array, mac: Uint8Array): Uint8Array {
  if (terminalId.length !== TERMINAL_ID_LEN || dateTime.length !== DATE_TIME_LEN || mac.length !== LOYALTY_MAC_LEN) {
    throw new RangeError('loyalty operation: terminal id 6, date-time 7 and MAC 8 bytes');
  }
  const apdu = new Uint8Array(5 + OPERATION_DATA_LEN);
  apdu.set([CLA_LOYALTY, ins, 0, 0, OPERATION_DATA_LEN]);
  writeU31(apdu, 5, value);
  apdu.set(terminalId, 9);
  apdu.set(dateTime, 9 + TERMINAL_ID_LEN);
  apdu.set(mac, 9 + TERMINAL_ID_LEN + DATE_TIME_LEN);
  return apdu;
}

export function parseOperation(data: Uint8Array): { points: number; counter: number; receipt: Uint8Array } {
  if (data.length !== OPERATION_RESPONSE_LEN) throw new PurseResponseError(`loyalty operation: expected ${OPERATION_RESPONSE_LEN} bytes, got ${data.length}`);
  return { ...parsePoints(data.subarray(0, POINTS_LEN)), receipt: data.slice(POINTS_LEN) };
}

export function buildGetCoupons(): Uint8Array {
  return Uint8Array.of(CLA_LOYALTY, INS_GET_COUPONS, 0, 0, 0);
}

export function parseCoupons(data: Uint8Array): { id: number; issued: string }[] {
  if (data.length % COUPON_LEN !== 0) throw new PurseResponseError(`GET COUPONS: ${data.length} bytes is not a whole number of coupons`);
  const out: { id: number; issued: string }[] = [];
  for (let at = 0; at < data.length; at += COUPON_LEN) out.push({ id: readU31(data, at), issued: toHex(data.subarray(at + 4, at + 8)) });
  return out;
}

/** The card number (5A, 10 bytes BCD = 20 digits) from the FCI. */
export function parseLoyaltySelect(fci: Uint8Array): { aid: Uint8Array; cardNumber: string } {
  const outer = new TlvReader().reset(fci, 0, fci.length);
  if (!outer.next() || outer.tag !== 0x6f) throw new PurseResponseError('SELECT loyalty: the answer is not an FCI (6F)');
  const r = new TlvReader().reset(fci, outer.valueOff, outer.length);
  let aid: Uint8Array | null = null;
  let cardNumber: string | null = null;
  while (r.next()) {
    if (r.tag === 0x84) aid = fci.slice(r.valueOff, r.valueOff + r.length);
    if (r.tag === 0xa5) {
      const p = new TlvReader().reset(fci, r.valueOff, r.length);
      if (p.find(0x5a) && p.length === CARD_NUMBER_LEN) cardNumber = toHex(fci.subarray(p.valueOff, p.valueOff + p.length));
    }
  }
  if (aid === null || cardNumber === null) throw new PurseResponseError('SELECT loyalty: the FCI has no AID (84) or card number (5A)');
  return { aid, cardNumber };
}
