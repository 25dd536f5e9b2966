/**
 * The purse's read-only commands (JR/T 0025 e-purse commands; JT/T 978 T-Union files):
 *
 *   80 5C P1 P2 04        GET BALANCE: P2 01 ED / 02 EP; P1 00 balance, 01 negative balance
 *                         (T-Union readers ask both; always 0 here, there is no overdraft)
 *   80 5A 00 P2 02 ctr 08 GET TRANSACTION PROVE: P2 = transaction type, data = the counter the
 *                         transaction used -> MAC(4) | TAC(4) of that transaction, if it was the last
 *                         one committed (purchase: the card's MAC2; load: the MAC2 it accepted),
 *                         else 9406
 *   00 B0 95 off Le       READ BINARY of SFI 15, public information (30 bytes)
 *   00 B2 n C4 Le         READ RECORD n of SFI 18, the transaction log; 1 = newest (23 bytes)
 */
import { copy, fill, readU16, writeU31 } from '../../bytes';
import type { CommandApdu } from '../../apdu';
import { shr } from '../../bits';
import type { ApduResponse } from '../../se/applet';
import { SW } from '../../sw';
import { MAC_LEN } from './purse-crypto';
import type { PurseCard } from './purse-card';
import { CFG_PUBLIC_INFO, LOG_RECORD_LEN, PUBLIC_INFO_LEN, ST_PROVE_COUNTER, ST_PROVE_MAC, ST_PROVE_TAC, ST_PROVE_TYPE } from './records';

export const SFI_PUBLIC_INFO = 0x15;
export const SFI_LOG = 0x18;
/** READ BINARY P1: b8 set = short EF identifier in b5..b1 (ISO 7816-4 §11.2.3). */
const P1_SFI = 0x80;
/** READ RECORD P2 low bits 100: P1 is a record number (ISO 7816-4 §11.3.3). */
const P2_RECORD_NUMBER = 0x04;
const BALANCE_LEN = 4;

export function getBalance(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  if (cmd.lc !== 0) return SW.ERR_CHECKING_WRONG_LENGTH;
  const purse = card.purseOf(cmd.p2);
  if (purse < 0 || cmd.p1 > 0x01) return SW.ERR_WRONG_P1P2;
  if (cmd.p1 === 0x00) writeU31(rsp.buf, 0, card.store.balance(purse));
  else fill(rsp.buf, 0, BALANCE_LEN, 0);
  rsp.len = BALANCE_LEN;
  return SW.OK;
}

export function getTransactionProve(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  if (cmd.lc !== 2) return SW.ERR_CHECKING_WRONG_LENGTH;
  if (cmd.p1 !== 0x00) return SW.ERR_WRONG_P1P2;
  const st = card.store.state;
  if (st[ST_PROVE_TYPE] === 0 || st[ST_PROVE_TYPE] !== cmd.p2 || readU16(st, ST_PROVE_COUNTER) !== readU16(cmd.buf, cmd.dataOff)) {
    return SW.PURSE_MAC_UNAVAILABLE;
  }
  copy(st, ST_PROVE_MAC, rsp.buf, 0, MAC_LEN);
  copy(st, ST_PROVE_TAC, rsp.buf, MAC_LEN, MAC_LEN);
  rsp.len = 2 * MAC_LEN;
  return SW.OK;
}

export function readBinary(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  if (cmd.lc !== 0) return SW.ERR_CHECKING_WRONG_LENGTH;
  if ((cmd.p1 & P1_SFI) === 0) return SW.ERR_COMMAND_NOT_ALLOWED; // no current EF: select by SFI
  if ((cmd.p1 & 0x1f) !== SFI_PUBLIC_INFO || (cmd.p1 & 0x60) !== 0) return SW.ERR_FILE_NOT_FOUND;
  const off = cmd.p2;
  if (off >= PUBLIC_INFO_LEN) return SW.ERR_WRONG_P1P2_NO_INFO;
  let n = PUBLIC_INFO_LEN - off;
  // Le 00 (256) means "all there is"; a shorter Le gets exactly that many bytes.
  if (cmd.le > 0 && cmd.le < n) n = cmd.le;
  copy(card.store.config, CFG_PUBLIC_INFO + off, rsp.buf, 0, n);
  rsp.len = n;
  return SW.OK;
}

export function readRecord(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  const rsp = card.rsp as ApduResponse;
  if (cmd.lc !== 0) return SW.ERR_CHECKING_WRONG_LENGTH;
  if ((cmd.p2 & 0x07) !== P2_RECORD_NUMBER) return SW.ERR_WRONG_P1P2;
  if (shr(cmd.p2, 3) !== SFI_LOG) return SW.ERR_FILE_NOT_FOUND;
  if (!card.store.readLog(cmd.p1, rsp.buf, 0)) return SW.ERR_RECORD_NOT_FOUND;
  rsp.len = LOG_RECORD_LEN;
  return SW.OK;
}
