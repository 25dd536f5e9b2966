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
export interface ConsoleMoney {
  cards: number;
  settledPurseTotal: number;
  reportedPurseTotal: number;
  cardsWithoutReport: number;
  open: number;
  mismatches: number;
  ok: boolean;
}
