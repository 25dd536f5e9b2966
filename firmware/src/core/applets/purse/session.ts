/**
 * The purse transaction session (JR/T 0025 e-purse commands): INITIALIZE FOR LOAD must come right before CREDIT
 * FOR LOAD, INITIALIZE FOR PURCHASE right before DEBIT FOR PURCHASE. Other commands in between
 * (GET BALANCE, READ RECORD...) leave it alone; a failed CREDIT/DEBIT, a new INITIALIZE or a
 * deselect ends it, so a MAC2 or MAC1 is good for one attempt only.
 *
 *   IDLE --INITIALIZE_LOAD--> LOAD_READY --CREDIT--> IDLE
 *   IDLE --INITIALIZE_PURCHASE--> PURCHASE_READY --DEBIT--> IDLE
 *   any --END--> IDLE; CREDIT/DEBIT out of turn -> WRONG_SEQUENCE (6985)
 */
import { fill } from '../../bytes';
import { RANDOM_LEN, TERMINAL_ID_LEN } from './purse-crypto';

export type PurseState = 'IDLE' | 'LOAD_READY' | 'PURCHASE_READY';
export type PurseEvent = 'INITIALIZE_LOAD' | 'INITIALIZE_PURCHASE' | 'CREDIT' | 'DEBIT' | 'END';
export const WRONG_SEQUENCE = 'WRONG_SEQUENCE';

export function purseStep(state: PurseState, event: PurseEvent): PurseState | 'WRONG_SEQUENCE' {
  switch (event) {
    case 'INITIALIZE_LOAD':
      return 'LOAD_READY';
    case 'INITIALIZE_PURCHASE':
      return 'PURCHASE_READY';
    case 'CREDIT':
      return state === 'LOAD_READY' ? 'IDLE' : WRONG_SEQUENCE;
    case 'DEBIT':
      return state === 'PURCHASE_READY' ? 'IDLE' : WRONG_SEQUENCE;
    case 'END':
      return 'IDLE';
  }
}

/** What INITIALIZE told the card, kept in RAM until CREDIT/DEBIT. */
export class PurseSession {
  state: PurseState = 'IDLE';
  purse = 0;
  keyIndex = 0;
  txType = 0;
  amount = 0;
  /** Balance and counter when INITIALIZE answered (they go into the MACs and the log). */
  balance = 0;
  counter = 0;
  /** Where INITIALIZE found its load or purchase key and the TAC key in the KEYS record (PurseStore.takeKey). */
  keyAt = 0;
  tacAt = 0;
  readonly terminalId = new Uint8Array(TERMINAL_ID_LEN);
  readonly random = new Uint8Array(RANDOM_LEN);
  /** `random` and `terminalId` hold a transaction's data (set by whoever fills them), until back in IDLE. */
  held = false;

  /** True when the event is in turn (checked before CREDIT/DEBIT use the session's data). */
  accepts(event: PurseEvent): boolean {
    return purseStep(this.state, event) !== WRONG_SEQUENCE;
  }

  /** Applies the event; false (state unchanged) when it is out of turn. Back in IDLE the data is wiped. */
  step(event: PurseEvent): boolean {
    const next = purseStep(this.state, event);
    if (next === WRONG_SEQUENCE) return false;
    this.state = next;
    if (next === 'IDLE') {
      fill(this.random, 0, RANDOM_LEN, 0);
      fill(this.terminalId, 0, TERMINAL_ID_LEN, 0);
      this.held = false;
    }
    return true;
  }
}
