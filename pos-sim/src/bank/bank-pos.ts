/**
 * The third terminal's POS (ARCHITECTURE.md flow 5): deposit onto and debit from a bank e-cash
 * card's purse, authorised online by the bank's server through the platform. The e-cash card runs
 * the same PBOC purse as a transit card (docs/apdu.md "Purse cards"), so this is TransitPos with
 * the e-cash AID and the bank's online security module: one code path, journal and GET
 * TRANSACTION PROVE recovery included.
 *
 *   deposit  load from the customer's bank account (accountId), EP purse
 *   debit    purchase on the EP purse
 */
import { fromHex } from '../../../firmware/src/core/hex';
import type { TransactionJournal } from '../purse/journal';
import { TransitPos, type CardReading, type TransactionResult } from '../purse/transit-pos';
import type { Reader } from '../reader/reader';
import { type LoadFunding, OnlineSecurityModule } from '../online/online-security-module';
import type { PlatformClient } from '../online/platform-client';

/** F0 'TAPC' 'EC': any bank's e-cash application, selected by partial name (package/aids.ts). */
export const ECASH_AID_PREFIX = fromHex('f054415043' + '4543');

export interface BankPosOptions {
  reader: Reader;
  client: PlatformClient;
  journal?: TransactionJournal;
  terminalId?: Uint8Array;
  clock?: () => Date;
}

export class BankPos {
  constructor(private readonly o: BankPosOptions) {}

  /** A deposit of `amount` fen from bank account `accountId` onto the card, with its holder's payment code. */
  deposit(amount: number, accountId: string, payerCode: string, timeoutMs?: number): Promise<TransactionResult> {
    return this.pos({ accountId, payerCode }).recharge(amount, timeoutMs);
  }

  /** A debit of `amount` fen from the card's e-cash purse. */
  debit(amount: number, timeoutMs?: number): Promise<TransactionResult> {
    return this.pos({}).debit(amount, timeoutMs);
  }

  read(timeoutMs?: number): Promise<CardReading> {
    return this.pos({}).read(timeoutMs);
  }

  private pos(funding: LoadFunding): TransitPos {
    return new TransitPos({
      reader: this.o.reader,
      securityModule: new OnlineSecurityModule(this.o.client, 'bank', funding),
      journal: this.o.journal,
      terminalId: this.o.terminalId,
      clock: this.o.clock,
      aid: ECASH_AID_PREFIX,
    });
  }
}
