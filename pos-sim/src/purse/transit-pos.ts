/**
 * The POS above the reader, one code path for both transports: wait for a card (ATR), SELECT the
 * transit application, read it, settle a transaction a previous tap left open, then run the
 * terminal side of a PBOC purchase or load (JR/T 0025):
 *
 *   purchase  INITIALIZE FOR PURCHASE -> MAC1 (security module) -> journal -> DEBIT FOR PURCHASE
 *             -> MAC2 and TAC checked (security module)
 *   load      INITIALIZE FOR LOAD -> MAC1 checked and MAC2 made (security module) -> journal
 *             -> CREDIT FOR LOAD -> TAC checked (security module)
 *
 * The journal entry is written before DEBIT/CREDIT and closed only when the security module (the
 * platform, online) has confirmed the card's answer. If the card leaves the field, or the POS or the
 * platform stops, anywhere in between, the next tap of that card asks GET TRANSACTION PROVE (or, if
 * the card's proof is gone, its log) whether the transaction happened and confirms a proven one
 * then: a debit is counted once or not at all, never twice, never lost to the ledger.
 */
import { fromHex, toHex } from '../../../firmware/src/core/hex';
import { writeU31 } from '../../../firmware/src/core/bytes';
import { TX_EP_LOAD, TX_EP_PURCHASE } from '../../../firmware/src/core/applets/purse/records';
import { TERMINAL_SERIAL_LEN } from '../../../firmware/src/core/applets/purse/purse-crypto';
import { CardError } from '../../../contracts/card-errors';
import type { Reader } from '../reader/reader';
import { CardProofError } from '../../../contracts/purse-errors';
import { MemoryJournal, type PendingTransaction, type TransactionJournal } from './journal';
import { bcdDateTime } from './money';
import { P2_EP, type InitializeForLoadResponse, type LogRecord } from './purse-apdus';
import type { LoadRequest, PurchaseRequest, PurseSecurityModule } from '../../../contracts/purse-security-module';
import { TransitCard } from './transit-card';
import { killPoint } from '../../../contracts/kill-point';

/** pos-sim's terminal id (6 bytes) unless told otherwise. */
export const DEFAULT_TERMINAL_ID = fromHex('504f53000001'); // "POS" 00 00 01
/** Key index 01: the one tapcard's transit issuer uses (package/dev-keys.ts). */
export const DEFAULT_KEY_INDEX = 0x01;
export const DEFAULT_CARD_TIMEOUT_MS = 10_000;

export interface TransitPosOptions {
  reader: Reader;
  securityModule: PurseSecurityModule;
  journal?: TransactionJournal;
  terminalId?: Uint8Array;
  keyIndex?: number;
  clock?: () => Date;
  /** The purse application to SELECT (default the T-Union transit AID; the bank's e-cash AID for the third terminal). */
  aid?: Uint8Array;
}

/** How a transaction a previous tap left open was settled. */
export interface Recovery {
  kind: 'purchase' | 'load';
  amount: number;
  counter: number;
  /** completed: the card did it (count it once); not-done: the card never did, no money moved. */
  outcome: 'completed' | 'not-done';
  /** prove: GET TRANSACTION PROVE, TAC verified; log: found in the card's log (proof overwritten). */
  evidence: 'prove' | 'log' | 'none';
  tac: string | null;
}

export interface CardReading {
  reader: string;
  atr: string;
  aid: string;
  cardNumber: string;
  validFrom: string;
  validTo: string;
  balance: number;
  log: LogRecord[];
  recovered: Recovery | null;
}

export interface TransactionResult {
  kind: 'purchase' | 'load';
  reader: string;
  atr: string;
  aid: string;
  cardNumber: string;
  amount: number;
  balanceBefore: number;
  balanceAfter: number;
  /** The card's offline (purchase) or online (load) counter this transaction used. */
  counter: number;
  tac: string;
  terminalId: string;
  /** Purchase only (else ''). */
  terminalSerial: string;
  dateTime: string;
  recovered: Recovery | null;
}

type Tapped = { card: TransitCard; atr: Uint8Array; recovered: Recovery | null };

export class TransitPos {
  private readonly reader: Reader;
  private readonly sm: PurseSecurityModule;
  private readonly journal: TransactionJournal;
  private readonly terminalId: Uint8Array;
  private readonly keyIndex: number;
  private readonly clock: () => Date;
  private readonly aid: Uint8Array | undefined;

  constructor(options: TransitPosOptions) {
    this.reader = options.reader;
    this.sm = options.securityModule;
    this.journal = options.journal ?? new MemoryJournal();
    this.terminalId = options.terminalId ?? DEFAULT_TERMINAL_ID;
    this.keyIndex = options.keyIndex ?? DEFAULT_KEY_INDEX;
    this.clock = options.clock ?? (() => new Date());
    this.aid = options.aid;
  }

  /** Card number, validity, balance and the newest `logRecords` log records. */
  read(timeoutMs = DEFAULT_CARD_TIMEOUT_MS, logRecords = 10): Promise<CardReading> {
    return this.session(timeoutMs, async ({ card, atr, recovered }) => ({
      reader: this.reader.name,
      atr: hex(atr),
      aid: hex(card.aid),
      cardNumber: card.info.cardNumber,
      validFrom: card.info.validFrom,
      validTo: card.info.validTo,
      balance: await card.balance(P2_EP),
      log: await card.log(logRecords),
      recovered,
    }));
  }

  /** A purchase of `amount` fen. Rejects with PurseDeclinedError (9401) with no money moved. */
  debit(amount: number, timeoutMs = DEFAULT_CARD_TIMEOUT_MS): Promise<TransactionResult> {
    return this.session(timeoutMs, (tapped) => this.purchase(tapped, amount));
  }

  /** A load of `amount` fen. */
  recharge(amount: number, timeoutMs = DEFAULT_CARD_TIMEOUT_MS): Promise<TransactionResult> {
    return this.session(timeoutMs, (tapped) => this.load(tapped, amount));
  }

  /**
   * The card's proof that its online counter has not moved: a fresh INITIALIZE FOR LOAD of `amount`
   * (after this card's open journal entry is settled), no CREDIT. Its MAC1 at that counter lets the
   * issuer release a load it authorised there (the card never did it) before a refund.
   */
  proveLoadCounter(amount: number, timeoutMs = DEFAULT_CARD_TIMEOUT_MS): Promise<{ request: LoadRequest; mac1: Uint8Array; recovered: Recovery | null }> {
    return this.session(timeoutMs, async ({ card, recovered }) => {
      const { init, req } = await this.initializeLoad(card, amount);
      return { request: req, mac1: init.mac1, recovered };
    });
  }

  private async session<T>(timeoutMs: number, body: (tapped: Tapped) => Promise<T>): Promise<T> {
    const atr = await this.reader.waitForCard(timeoutMs);
    try {
      const card = await TransitCard.select(this.reader.transmit, this.aid);
      const recovered = await this.recover(card);
      return await body({ card, atr, recovered });
    } finally {
      await this.reader.powerOff().catch(() => undefined);
    }
  }

  private async purchase({ card, atr, recovered }: Tapped, amount: number): Promise<TransactionResult> {
    const txType = TX_EP_PURCHASE;
    const init = await card.initializeForPurchase(P2_EP, this.keyIndex, amount, this.terminalId);
    const serial = new Uint8Array(TERMINAL_SERIAL_LEN);
    writeU31(serial, 0, await this.journal.nextTerminalSerial());
    const dateTime = bcdDateTime(this.clock());
    const req: PurchaseRequest = {
      cardNumber: card.info.cardNumberBcd, keyIndex: this.keyIndex, keyVersion: init.keyVersion, algorithm: init.algorithm,
      amount, txType, terminalId: this.terminalId, offlineCounter: init.offlineCounter, random: init.random,
      terminalSerial: serial, dateTime,
    };
    const mac1 = await this.sm.purchaseMac1(req);
    killPoint('pos.after-authorise');
    await this.journal.begin(pending('purchase', card, req, init.offlineCounter, init.balance));
    const proof = await this.moneyCommand(card, () => card.debitForPurchase(serial, dateTime, mac1));
    killPoint('pos.after-card-answer');
    const verified = await this.sm.verifyPurchase(req, proof);
    killPoint('pos.after-confirm');
    // Confirmed (or refused as not the card's): the entry is done. A confirm that never answered leaves it for the next tap.
    await this.journal.settle(card.info.cardNumber);
    if (!verified) throw new CardProofError('MAC2/TAC of DEBIT FOR PURCHASE');
    return this.result('purchase', card, atr, recovered, req, init.balance, init.offlineCounter, proof.tac, toHex(serial));
  }

  /** INITIALIZE FOR LOAD of `amount`, and the load request it makes (what the issuer checks MAC1 over). */
  private async initializeLoad(card: TransitCard, amount: number): Promise<{ init: InitializeForLoadResponse; req: LoadRequest }> {
    const init = await card.initializeForLoad(P2_EP, this.keyIndex, amount, this.terminalId);
    const req: LoadRequest = {
      cardNumber: card.info.cardNumberBcd, keyIndex: this.keyIndex, keyVersion: init.keyVersion, algorithm: init.algorithm,
      amount, txType: TX_EP_LOAD, terminalId: this.terminalId, balance: init.balance, onlineCounter: init.onlineCounter,
      random: init.random, dateTime: bcdDateTime(this.clock()),
    };
    return { init, req };
  }

  private async load({ card, atr, recovered }: Tapped, amount: number): Promise<TransactionResult> {
    const { init, req } = await this.initializeLoad(card, amount);
    const dateTime = req.dateTime;
    const mac2 = await this.sm.loadMac2(req, init.mac1);
    killPoint('pos.after-authorise');
    await this.journal.begin(pending('load', card, req, init.onlineCounter, init.balance));
    const tac = await this.moneyCommand(card, () => card.creditForLoad(dateTime, mac2));
    killPoint('pos.after-card-answer');
    const verified = await this.sm.verifyLoadTac(req, tac);
    killPoint('pos.after-confirm');
    await this.journal.settle(card.info.cardNumber);
    if (!verified) throw new CardProofError('TAC of CREDIT FOR LOAD');
    return this.result('load', card, atr, recovered, req, init.balance, init.onlineCounter, tac, '');
  }

  /**
   * DEBIT / CREDIT. A status word refusal means the card changed nothing: the entry is settled. Any
   * other failure (card removed, garbled answer) leaves it open for the next tap to resolve.
   */
  private async moneyCommand<T>(card: TransitCard, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (e) {
      if (e instanceof CardError) await this.journal.settle(card.info.cardNumber);
      throw e;
    }
  }

  private result(kind: 'purchase' | 'load', card: TransitCard, atr: Uint8Array, recovered: Recovery | null,
    req: PurchaseRequest | LoadRequest, balanceBefore: number, counter: number, tac: Uint8Array, terminalSerial: string): TransactionResult {
    return {
      kind,
      reader: this.reader.name,
      atr: hex(atr),
      aid: hex(card.aid),
      cardNumber: card.info.cardNumber,
      amount: req.amount,
      balanceBefore,
      balanceAfter: kind === 'purchase' ? balanceBefore - req.amount : balanceBefore + req.amount,
      counter,
      tac: hex(tac),
      terminalId: hex(req.terminalId),
      terminalSerial: terminalSerial.toUpperCase(),
      dateTime: dateTimeText(toHex(req.dateTime)),
      recovered,
    };
  }

  /**
   * Settles this card's open journal entry, if any (JR/T 0025 GET TRANSACTION PROVE): a proven
   * transaction is confirmed through the security module (online: the platform's confirm, which
   * applies once however often it is asked). The entry is closed only after that answer, so a
   * platform that cannot be reached leaves it for the next tap.
   */
  private async recover(card: TransitCard): Promise<Recovery | null> {
    const p = await this.journal.pending(card.info.cardNumber);
    if (p === null) return null;
    const prove = await card.transactionProve(p.txType, p.counter);
    let evidence: Recovery['evidence'] = 'none';
    if (prove !== null && (await this.proofMatches(card, p, prove))) evidence = 'prove';
    else if ((await card.log()).some((r) => sameTransaction(r, p))) evidence = 'log';
    await this.journal.settle(p.cardNumber);
    return {
      kind: p.kind,
      amount: p.amount,
      counter: p.counter,
      outcome: evidence === 'none' ? 'not-done' : 'completed',
      evidence,
      tac: evidence === 'prove' ? hex(prove!.tac) : null,
    };
  }

  /**
   * The proof is this transaction's (the same type and counter may be another terminal's, after ours
   * never happened: then the issuer's ledger holds that one at the counter and refuses ours, CONFLICT).
   */
  private async proofMatches(card: TransitCard, p: PendingTransaction, prove: { mac: Uint8Array; tac: Uint8Array }): Promise<boolean> {
    try {
      return await this.confirmPending(card, p, prove);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'CONFLICT') return false;
      throw e;
    }
  }

  private confirmPending(card: TransitCard, p: PendingTransaction, prove: { mac: Uint8Array; tac: Uint8Array }): Promise<boolean> {
    const common = {
      cardNumber: card.info.cardNumberBcd, keyIndex: p.keyIndex, keyVersion: p.keyVersion, algorithm: p.algorithm,
      amount: p.amount, txType: p.txType, terminalId: fromHex(p.terminalId), random: fromHex(p.random), dateTime: fromHex(p.dateTime),
    };
    if (p.kind === 'purchase') {
      return this.sm.verifyPurchase({ ...common, offlineCounter: p.counter, terminalSerial: fromHex(p.terminalSerial) }, { tac: prove.tac, mac2: prove.mac });
    }
    return this.sm.verifyLoadTac({ ...common, balance: p.balanceBefore, onlineCounter: p.counter }, prove.tac);
  }
}

function pending(kind: 'purchase' | 'load', card: TransitCard, req: PurchaseRequest | LoadRequest, counter: number, balanceBefore: number): PendingTransaction {
  return {
    kind,
    cardNumber: card.info.cardNumber,
    txType: req.txType,
    counter,
    amount: req.amount,
    balanceBefore,
    keyIndex: req.keyIndex,
    keyVersion: req.keyVersion,
    algorithm: req.algorithm,
    terminalId: toHex(req.terminalId),
    random: toHex(req.random),
    dateTime: toHex(req.dateTime),
    terminalSerial: 'terminalSerial' in req ? toHex(req.terminalSerial) : '',
  };
}

/** A log record is the pending transaction when counter, type, amount, terminal and time agree. */
function sameTransaction(r: LogRecord, p: PendingTransaction): boolean {
  return r.counter === p.counter && r.type === p.txType && r.amount === p.amount &&
    r.terminalId === p.terminalId.toUpperCase() && r.dateTime === dateTimeText(p.dateTime);
}

/** "20240315123000" -> "2024-03-15 12:30:00" (the LogRecord form). */
function dateTimeText(digits: string): string {
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)} ${digits.slice(8, 10)}:${digits.slice(10, 12)}:${digits.slice(12, 14)}`;
}

function hex(b: Uint8Array): string {
  return toHex(b).toUpperCase();
}
