/**
 * The card-emulation session as a pure state machine (STYLE §5): which PN532 step runs next.
 * card-emulation.ts performs the action that belongs to each state and feeds the outcome back.
 *
 *   off --start--> resetting --reset-done--> configuring --configured--> listening
 *   listening --activated--> receiving --command--> responding --responded--> receiving
 *   receiving|responding --released--> listening        (reader left or RF error)
 *   listening --idle-check--> configuring                (periodic "is the chip alive?")
 *   any but off --link-failed--> resetting               (chip stopped answering: RSTPDN)
 *   any --stop--> off
 */

export type SessionState = 'off' | 'resetting' | 'configuring' | 'listening' | 'receiving' | 'responding';

export type SessionEvent =
  | 'start'
  | 'reset-done'
  | 'configured'
  | 'activated'
  | 'command'
  | 'responded'
  | 'released'
  | 'idle-check'
  | 'link-failed'
  | 'stop';

/** Returned for an event the state does not accept. */
export const ILLEGAL = 'illegal';

export function step(state: SessionState, event: SessionEvent): SessionState | typeof ILLEGAL {
  if (event === 'stop') return 'off';
  if (event === 'link-failed') return state === 'off' ? ILLEGAL : 'resetting';
  switch (state) {
    case 'off':
      return event === 'start' ? 'resetting' : ILLEGAL;
    case 'resetting':
      return event === 'reset-done' ? 'configuring' : ILLEGAL;
    case 'configuring':
      return event === 'configured' ? 'listening' : ILLEGAL;
    case 'listening':
      if (event === 'activated') return 'receiving';
      return event === 'idle-check' ? 'configuring' : ILLEGAL;
    case 'receiving':
      if (event === 'command') return 'responding';
      return event === 'released' ? 'listening' : ILLEGAL;
    case 'responding':
      if (event === 'responded') return 'receiving';
      return event === 'released' ? 'listening' : ILLEGAL;
  }
}
