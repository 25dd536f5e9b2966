/**
 * What the POS writes down before the command that moves money (DEBIT / CREDIT), so a card that
 * leaves the field before the answer comes back is settled on its next tap with GET TRANSACTION
 * PROVE (JR/T 0025 e-purse commands): never a lost debit, never a second one. Also the terminal transaction
 * serial (purchase MAC1 input), which must not repeat.
 *
 * Plain JSON values, so a journal can live in a file (file-journal.ts) or a database.
 */

export interface PendingTransaction {
  kind: 'purchase' | 'load';
  /** 20 digits. */
  cardNumber: string;
  txType: number;
  /** The counter INITIALIZE answered (offline for a purchase, online for a load): GET TRANSACTION PROVE's key. */
  counter: number;
  amount: number;
  balanceBefore: number;
  keyIndex: number;
  keyVersion: number;
  algorithm: number;
  /** Hex: terminal id (6), card random (4), date-time (7), purchase serial (4) or '' for a load. */
  terminalId: string;
  random: string;
  dateTime: string;
  terminalSerial: string;
}

export interface TransactionJournal {
  /** The next terminal transaction serial (1, 2, ...), never handed out twice. */
  nextTerminalSerial(): Promise<number>;
  /** The unsettled transaction of this card, or null. */
  pending(cardNumber: string): Promise<PendingTransaction | null>;
  /** Records a transaction about to be sent; replaces any pending one of the same card. */
  begin(tx: PendingTransaction): Promise<void>;
  /** The card's transaction is settled (answered, or recovered on a later tap). */
  settle(cardNumber: string): Promise<void>;
}

/** The journal's state as one JSON-able value. */
export interface JournalState {
  lastTerminalSerial: number;
  pending: PendingTransaction[];
}

/** Terminal serials are 4 bytes (purse-crypto.ts TERMINAL_SERIAL_LEN); kept below 2^31 like every core value. */
const MAX_TERMINAL_SERIAL = 0x7fffffff;

export class MemoryJournal implements TransactionJournal {
  protected state: JournalState;

  constructor(state: JournalState = { lastTerminalSerial: 0, pending: [] }) {
    this.state = state;
  }

  async nextTerminalSerial(): Promise<number> {
    const next = this.state.lastTerminalSerial >= MAX_TERMINAL_SERIAL ? 1 : this.state.lastTerminalSerial + 1;
    this.state.lastTerminalSerial = next;
    await this.persist();
    return next;
  }

  async pending(cardNumber: string): Promise<PendingTransaction | null> {
    return this.state.pending.find((p) => p.cardNumber === cardNumber) ?? null;
  }

  async begin(tx: PendingTransaction): Promise<void> {
    this.state.pending = this.state.pending.filter((p) => p.cardNumber !== tx.cardNumber).concat([tx]);
    await this.persist();
  }

  async settle(cardNumber: string): Promise<void> {
    this.state.pending = this.state.pending.filter((p) => p.cardNumber !== cardNumber);
    await this.persist();
  }

  /** Where a durable journal writes its state; nothing for the in-memory one. */
  protected async persist(): Promise<void> {}
}
