/** The operator console's JSON shapes, shared by the page and the platform (platform-server/src/web/console-views.ts). */
export interface ConsoleCard {
  slot: number | null;
  cardSerial: string | null;
  applicationId: string | null;
  className: string | null;
  aid: string | null;
  issuer: number | null;
  cardNumber: string | null;
  lifeCycle: number | null;
  balance: number | null;
  platformState: string | null;
}
export interface ConsoleDevice {
  id: string;
  status: string;
  seSerial: string;
  lastSeenAt: string | null;
  cards: ConsoleCard[];
  statusReadAt: string | null;
  drift: { kind: string; detail: string }[];
}
export interface ConsoleJob {
  id: string;
  kind: string;
  deviceId: string;
  applicationId: string | null;
  state: string;
  acked: number;
  total: number | null;
  error: string | null;
  updatedAt: string;
}
export interface ConsoleLedgerCard {
  issuer: string;
  cardNumber: string;
  reportedBalance: number | null;
  settled: number;
  open: number;
  confirmed: number;
  mismatches: string[];
  entries: { kind: string; counter: number; amount: number; state: string; tac: string | null; tacVerified: boolean | null }[];
}
/** The money check (platform-server/src/terminals/money-reconciliation.ts, `tapcard platform reconcile`) with the SEs' last reported balances. */
export interface ConsoleMoney {
  ok: boolean;
  cards: number;
  settledPurseTotal: number;
  reportedPurseTotal: number;
  cardsWithoutReport: number;
  open: number;
  orders: { idempotencyKey: string; accountId: string; amount: number; payment: string; loads: number; open: boolean; mismatches: string[] }[];
  accounts: { system: string; id: string; balance: number; opening: number | null; expected: number | null; mismatches: string[] }[];
  mismatches: string[];
}
