/**
 * The transit application in the field, seen from the POS: SELECT by the T-Union AID, public
 * information, balance, log, and the four money commands, over any Transmit (reader.ts). Status
 * words go through the one gate (contracts/check-sw.ts); the ones a POS acts on become typed errors.
 */
import { SW } from '../../../firmware/src/core/sw';
import { checkSw, splitResponse } from '../../../contracts/check-sw';
import { CardError } from '../../../contracts/card-errors';
import type { Transmit } from '../reader/reader';
import { NoTransitApplicationError } from './errors';
import { PurseDeclinedError } from '../../../contracts/purse-errors';
import {
  buildCreditForLoad, buildDebitForPurchase, buildGetBalance, buildGetTransactionProve, buildInitializeForLoad,
  buildInitializeForPurchase, buildReadLogRecord, buildReadPublicInfo, buildSelect, parseBalance, parseCreditForLoad,
  parseDebitForPurchase, parseGetTransactionProve, parseInitializeForLoad, parseInitializeForPurchase, parseLogRecord,
  parsePublicInfo, parseSelectResponse, TRANSIT_AID,
  type InitializeForLoadResponse, type InitializeForPurchaseResponse, type LogRecord, type PublicInfo,
} from './purse-apdus';
import type { PurchaseProof } from '../../../contracts/purse-security-module';

/** The cyclic log holds 10 records (records.ts LOG_RECORDS); READ RECORD past the last answers 6A83. */
export const MAX_LOG_RECORDS = 10;

export class TransitCard {
  readonly transmit: Transmit;
  readonly aid: Uint8Array;
  readonly info: PublicInfo;

  private constructor(transmit: Transmit, aid: Uint8Array, info: PublicInfo) {
    this.transmit = transmit;
    this.aid = aid;
    this.info = info;
  }

  /** SELECT the transit application (partial name: any issuer's), then READ BINARY SFI 15. */
  static async select(transmit: Transmit, aid: Uint8Array = TRANSIT_AID): Promise<TransitCard> {
    const r = splitResponse(await transmit(buildSelect(aid)));
    if (r.sw === SW.ERR_FILE_NOT_FOUND) throw new NoTransitApplicationError('SELECT by the T-Union AID answered 6A82');
    if (r.sw !== SW.OK) throw new CardError('SELECT transit', r.sw);
    const selected = parseSelectResponse(r.data);
    const info = parsePublicInfo(checkSw(await transmit(buildReadPublicInfo()), 'READ BINARY SFI 15').data);
    return new TransitCard(transmit, selected.aid, info);
  }

  async balance(p2: number): Promise<number> {
    return parseBalance(checkSw(await this.transmit(buildGetBalance(p2)), 'GET BALANCE').data);
  }

  /** Up to `max` log records, newest first. */
  async log(max: number = MAX_LOG_RECORDS): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    for (let n = 1; n <= max; n++) {
      const r = checkSw(await this.transmit(buildReadLogRecord(n)), `READ RECORD ${n} SFI 18`, SW.ERR_RECORD_NOT_FOUND);
      if (r.sw === SW.ERR_RECORD_NOT_FOUND) break;
      records.push(parseLogRecord(r.data));
    }
    return records;
  }

  async initializeForPurchase(p2: number, keyIndex: number, amount: number, terminalId: Uint8Array): Promise<InitializeForPurchaseResponse> {
    const r = splitResponse(await this.transmit(buildInitializeForPurchase(p2, keyIndex, amount, terminalId)));
    if (r.sw === SW.PURSE_INSUFFICIENT_BALANCE) throw new PurseDeclinedError('insufficient balance', r.sw);
    if (r.sw !== SW.OK) throw new CardError('INITIALIZE FOR PURCHASE', r.sw);
    return parseInitializeForPurchase(r.data);
  }

  async debitForPurchase(terminalSerial: Uint8Array, dateTime: Uint8Array, mac1: Uint8Array): Promise<PurchaseProof> {
    return parseDebitForPurchase(checkSw(await this.transmit(buildDebitForPurchase(terminalSerial, dateTime, mac1)), 'DEBIT FOR PURCHASE').data);
  }

  async initializeForLoad(p2: number, keyIndex: number, amount: number, terminalId: Uint8Array): Promise<InitializeForLoadResponse> {
    const r = splitResponse(await this.transmit(buildInitializeForLoad(p2, keyIndex, amount, terminalId)));
    // INITIALIZE FOR LOAD answers 6A80 when balance + amount would pass the ceiling (purse/load.ts).
    if (r.sw === SW.ERR_WRONG_DATA) throw new PurseDeclinedError('the load would pass the balance ceiling', r.sw);
    if (r.sw !== SW.OK) throw new CardError('INITIALIZE FOR LOAD', r.sw);
    return parseInitializeForLoad(r.data);
  }

  /** Returns the TAC. */
  async creditForLoad(dateTime: Uint8Array, mac2: Uint8Array): Promise<Uint8Array> {
    return parseCreditForLoad(checkSw(await this.transmit(buildCreditForLoad(dateTime, mac2)), 'CREDIT FOR LOAD').data);
  }

  /** MAC | TAC of the card's last transaction if it is (txType, counter); null when the card has no such proof (9406). */
  async transactionProve(txType: number, counter: number): Promise<{ mac: Uint8Array; tac: Uint8Array } | null> {
    const r = checkSw(await this.transmit(buildGetTransactionProve(txType, counter)), 'GET TRANSACTION PROVE', SW.PURSE_MAC_UNAVAILABLE);
    return r.sw === SW.PURSE_MAC_UNAVAILABLE ? null : parseGetTransactionProve(r.data);
  }
}
