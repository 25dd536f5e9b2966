/**
 * What a loyalty card keeps in the SE store, under its record type (AppletContext.dataType).
 * Install writes all three; every EARN / REDEEM / ADD COUPON / USE COUPON rewrites STATE together
 * with the card-manager record in one store commit.
 *
 *   id 00 CONFIG  0 issuerId(2) | 2 ceiling(4) | 6 card number(10, BCD) | 16 valid from(4) | 20 valid to(4)
 *   id 01 KEY     type(1)=04 | index(1) | version(1) | algorithm(1)=10 AES-128 | key(16)
 *   id 02 STATE   0 points(4) | 4 counter(2) | 6 macTries(1) | 7 couponCount(1)
 *                 8 coupons: MAX_COUPONS x (id(4) | issued date(4, BCD YYYYMMDD))
 */
export const REC_CONFIG = 0x00;
export const REC_KEY = 0x01;
export const REC_STATE = 0x02;

export const CFG_ISSUER = 0;
export const CFG_CEILING = 2;
export const CFG_CARD_NUMBER = 6;
export const CFG_VALID_FROM = 16;
export const CFG_VALID_TO = 20;
export const CONFIG_LEN = 24;

export const ST_POINTS = 0;
export const ST_COUNTER = 4;
export const ST_MAC_TRIES = 6;
export const ST_COUPON_COUNT = 7;
export const ST_COUPONS = 8;
export const COUPON_LEN = 8;
export const COUPON_ID_LEN = 4;
export const MAX_COUPONS = 8;
export const STATE_LEN = ST_COUPONS + MAX_COUPONS * COUPON_LEN;

/** Consecutive bad merchant MACs before the card locks (9303). */
export const MAC_TRY_LIMIT = 3;
