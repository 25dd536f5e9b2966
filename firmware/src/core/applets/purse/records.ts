/**
 * What a purse card (transit or e-cash) keeps in the SE store, under its record type
 * (AppletContext.dataType). Install writes CONFIG, KEYS and STATE; every purse transaction writes
 * STATE, one LOG record and the card-manager record in one store commit (purse-store.ts).
 *
 *   id 00 CONFIG  0 flags(1) | 1 issuerId(2) | 3 ceiling(4) | 7 public info (30, = SFI 15)
 *   id 01 KEYS    entries of 20 bytes: type | index | version | algorithm | key(16)
 *                 (package/format.ts KEY_*; the PIN is an entry of type KEY_TYPE_PIN whose version
 *                 byte is its digit count and whose value is the packed PIN, FF-padded)
 *   id 02 STATE   0 ED purse | 8 EP purse, each balance(4) | onlineCounter(2) | offlineCounter(2)
 *                 16 macTries(1) | 17 pinTries(1) | 18 logHead(1) | 19 logCount(1)
 *                 macTries: with a MAC tally, tallySpent * 4 + tries, the MAC tries left when the
 *                 tally had tallySpent bytes spent (each byte spent since is a try gone); without
 *                 one (a card installed before tallies, until its next transaction) the tries left
 *                 20 last transaction for GET TRANSACTION PROVE: type(1) | counter(2) | MAC(4) | TAC(4)
 *   id 03 MAC tally: MAC_TALLY_LEN bytes, one spent per MAC try (store.ts spendTally, no commit)
 *   id 10+i LOG   record i of the cyclic transaction log (SFI 18), 23 bytes; logHead is the newest
 *
 * SFI 15 public information (T-Union layout, JT/T 978 T-Union files):
 *   0 issuer data(8) | 8 application type(1) | 9 application version(1) | 10 card number(10, BCD)
 *   20 valid from(4) | 24 valid to(4) | 28 RFU(2)
 * SFI 18 log record (JT/T 978 T-Union files):
 *   0 counter(2) | 2 overdraft(3) | 5 amount(4) | 9 type(1) | 10 terminal id(6) | 16 date-time(7, BCD)
 */
export const REC_CONFIG = 0x00;
export const REC_KEYS = 0x01;
export const REC_STATE = 0x02;
export const REC_MAC_TALLY = 0x03;
/** Tally bytes: a transaction renews it when fewer than MAC_TRY_LIMIT are left, every ~30 transactions. */
export const MAC_TALLY_LEN = 32;
export const REC_LOG_BASE = 0x10;

export const CFG_FLAGS = 0;
export const CFG_ISSUER = 1;
export const CFG_CEILING = 3;
export const CFG_PUBLIC_INFO = 7;
export const PUBLIC_INFO_LEN = 30;
export const CONFIG_LEN = CFG_PUBLIC_INFO + PUBLIC_INFO_LEN;
export const FLAG_ED = 0x01;
export const FLAG_EP = 0x02;
export const FLAG_PIN = 0x04;

export const PI_ISSUER_DATA = 0;
export const PI_APP_TYPE = 8;
export const PI_APP_VERSION = 9;
export const PI_CARD_NUMBER = 10;
export const PI_VALID_FROM = 20;
export const PI_VALID_TO = 24;

export const KEY_TYPE_PIN = 0x10;
export const MAX_KEY_ENTRIES = 8;

/** Purse ids: the P2 of GET BALANCE / INITIALIZE (JR/T 0025 e-purse commands) minus one. */
export const PURSE_ED = 0;
export const PURSE_EP = 1;
export const PURSE_LEN = 8;
export const P_BALANCE = 0;
export const P_ONLINE = 4;
export const P_OFFLINE = 6;
export const ST_MAC_TRIES = 16;
export const ST_PIN_TRIES = 17;
export const ST_LOG_HEAD = 18;
export const ST_LOG_COUNT = 19;
export const ST_PROVE_TYPE = 20;
export const ST_PROVE_COUNTER = 21;
export const ST_PROVE_MAC = 23;
export const ST_PROVE_TAC = 27;
export const STATE_LEN = 31;

/** Consecutive bad MACs before the application locks itself (9303); reset by a good one. */
export const MAC_TRY_LIMIT = 3;
export const PIN_TRY_LIMIT = 3;

export const LOG_RECORDS = 10;
export const LOG_RECORD_LEN = 23;
export const LOG_COUNTER = 0;
export const LOG_OVERDRAFT = 2;
export const LOG_AMOUNT = 5;
export const LOG_TYPE = 9;
export const LOG_TERMINAL = 10;
export const LOG_DATE_TIME = 16;

/** Transaction type ids used in MACs and the log (JR/T 0025 e-purse commands). */
export const TX_ED_LOAD = 0x01;
export const TX_EP_LOAD = 0x02;
export const TX_ED_PURCHASE = 0x05;
export const TX_EP_PURCHASE = 0x06;
