/**
 * The purse application shared by the transit card and the bank e-cash card: SELECT answers the
 * FCI, every other command goes through one dispatch table (handlers in load.ts, purchase.ts,
 * purse-files.ts, pin.ts). The command set and its status words are in docs/apdu.md.
 *
 * FCI: 6F { 84 AID, A5 { 9F0C public information (SFI 15, 30 bytes) } } — transit readers find the
 * card number there without a READ BINARY.
 */
import type { CommandApdu } from '../../apdu';
import type { ApduResponse, Applet, AppletContext } from '../../se/applet';
import { shr } from '../../bits';
import { copy } from '../../bytes';
import { SW } from '../../sw';
import { initializeForLoad, creditForLoad } from './load';
import { verifyPin } from './pin';
import { debitForPurchase, initializeForPurchase } from './purchase';
import { PurseCard, type PurseProfile } from './purse-card';
import { getBalance, getTransactionProve, readBinary, readRecord } from './purse-files';
import { CFG_PUBLIC_INFO, PUBLIC_INFO_LEN } from './records';

export const CLA_ISO = 0x00;
export const CLA_PROPRIETARY = 0x80;
export const INS_INITIALIZE = 0x50;
export const INS_CREDIT_FOR_LOAD = 0x52;
export const INS_DEBIT_FOR_PURCHASE = 0x54;
export const INS_GET_TRANSACTION_PROVE = 0x5a;
export const INS_GET_BALANCE = 0x5c;
export const INS_READ_BINARY = 0xb0;
export const INS_READ_RECORD = 0xb2;
export const INS_VERIFY = 0x20;
const P1_INITIALIZE_LOAD = 0x00;
const P1_INITIALIZE_PURCHASE = 0x01;
/** SELECT P2 b4b3 = 11: no response data (ISO 7816-4 §11.2.2). */
const P2_NO_FCI = 0x0c;
const TAG_FCI = 0x6f;
const TAG_DF_NAME = 0x84;
const TAG_FCI_PROPRIETARY = 0xa5;
const TAG_ISSUER_DISCRETIONARY = 0x9f0c;
/** The FCI template's length less the AID's: 84 and its length, A5 and its length, 9F0C, its length, the public information. */
const FCI_FIXED_LEN = 2 + 2 + 3 + PUBLIC_INFO_LEN;

/** A command's handler: the card holds the command and its response (PurseCard.cmd, rsp). */
type Handler = (card: PurseCard) => number;

function initialize(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  if (cmd.p1 === P1_INITIALIZE_LOAD) return initializeForLoad(card);
  if (cmd.p1 === P1_INITIALIZE_PURCHASE) return initializeForPurchase(card);
  card.endSession();
  return SW.ERR_WRONG_P1P2;
}

/**
 * The command table: CLA and INS of command i at 2i and 2i+1, its handler at HANDLERS[i]. Flat
 * bytes instead of one object per command: on Espruino each object and field is a JsVar for as
 * long as the firmware runs, a Uint8Array's bytes share a few. A tap's commands first: process()
 * walks the table from the top, ~8 loop units an entry.
 */
const CLA_INS = new Uint8Array([
  CLA_PROPRIETARY, INS_DEBIT_FOR_PURCHASE, // DEBIT FOR PURCHASE
  CLA_PROPRIETARY, INS_INITIALIZE, // INITIALIZE FOR LOAD/PURCHASE
  CLA_PROPRIETARY, INS_GET_BALANCE, // GET BALANCE
  CLA_PROPRIETARY, INS_CREDIT_FOR_LOAD, // CREDIT FOR LOAD
  CLA_PROPRIETARY, INS_GET_TRANSACTION_PROVE, // GET TRANSACTION PROVE
  CLA_ISO, INS_READ_BINARY, // READ BINARY
  CLA_ISO, INS_READ_RECORD, // READ RECORD
  CLA_ISO, INS_VERIFY, // VERIFY
]);
const HANDLERS: Handler[] = [debitForPurchase, initialize, getBalance, creditForLoad, getTransactionProve, readBinary, readRecord, verifyPin];

export class PurseApplet implements Applet {
  private readonly card: PurseCard;

  constructor(ctx: AppletContext, profile: PurseProfile) {
    this.card = new PurseCard(ctx, profile);
  }

  select(cmd: CommandApdu, rsp: ApduResponse): number {
    const card = this.card;
    card.endSession();
    card.pinVerified = false;
    if (!card.ready) return SW.ERR_FILE_NOT_FOUND;
    if ((cmd.p2 & P2_NO_FCI) === P2_NO_FCI) return SW.OK;
    // The FCI written byte by byte, not through the TLV writer (~25 calls, each a scope on
    // Espruino): every length fits one byte (an AID is at most 16 bytes, the FCI 53), and the
    // response buffer holds MAX_RESPONSE_DATA bytes.
    const r = rsp.buf;
    const n = card.ctx.aidLen;
    const a5 = 4 + n;
    r[0] = TAG_FCI;
    r[1] = FCI_FIXED_LEN + n;
    r[2] = TAG_DF_NAME;
    r[3] = n;
    copy(card.ctx.aid, 0, r, 4, n);
    r[a5] = TAG_FCI_PROPRIETARY;
    r[a5 + 1] = 3 + PUBLIC_INFO_LEN;
    r[a5 + 2] = shr(TAG_ISSUER_DISCRETIONARY, 8);
    r[a5 + 3] = TAG_ISSUER_DISCRETIONARY & 0xff;
    r[a5 + 4] = PUBLIC_INFO_LEN;
    copy(card.store.config, CFG_PUBLIC_INFO, r, a5 + 5, PUBLIC_INFO_LEN);
    rsp.len = a5 + 5 + PUBLIC_INFO_LEN;
    return SW.OK;
  }

  process(cmd: CommandApdu, rsp: ApduResponse): number {
    let claKnown = false;
    for (let i = 0; i < HANDLERS.length; i++) {
      if (CLA_INS[2 * i] !== cmd.cla) continue;
      claKnown = true;
      if (CLA_INS[2 * i + 1] === cmd.ins) {
        const card = this.card;
        card.cmd = cmd;
        card.rsp = rsp;
        return HANDLERS[i](card);
      }
    }
    return claKnown ? SW.ERR_INS_NOT_SUPPORTED : SW.ERR_CLA_NOT_SUPPORTED;
  }

  deselect(): void {
    this.card.endSession();
    this.card.pinVerified = false;
  }
}
