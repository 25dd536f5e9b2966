/** The wallet page's JSON shapes, shared by the page and its server (host/terminal/wallet-web.ts). */

/** A record of the card's transaction log (JR/T 0025.5; pos-sim/src/purse/purse-apdus.ts LogRecord). */
export interface WalletLogRecord {
  counter: number;
  amount: number;
  kind: string;
  terminalId: string;
  /** YYYY-MM-DD hh:mm:ss. */
  dateTime: string;
}

export interface WalletCard {
  slot: number;
  className: string | null;
  aid: string;
  cardNumber: string | null;
  /** Minor units (purse) or points (loyalty). */
  balance: number | null;
  log: WalletLogRecord[];
}
