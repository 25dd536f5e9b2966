/** The POS page's JSON shapes, shared by the page and the till (pos-sim/src/web/till.ts). */
export const TILL_FLOWS = ['transit-debit', 'transit-recharge', 'transit-recharge-third-party', 'bank-deposit', 'bank-debit', 'merchant-earn', 'merchant-redeem'] as const;
export type TillFlow = (typeof TILL_FLOWS)[number];

export interface Tap {
  at: string;
  flow: TillFlow;
  amount: number;
  ok: boolean;
  cardNumber: string | null;
  /** Minor units, or points on the loyalty card. */
  before: number | null;
  after: number | null;
  unit: 'fen' | 'points';
  /** The card's TAC (purse) or receipt (loyalty). */
  proof: string | null;
  /** Why it did not happen: no money moved unless it says otherwise. */
  reason: string | null;
}
