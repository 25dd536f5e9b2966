/**
 * The SCP03 host session as a state machine (AmdD 5.6 protocol rules, seen from the off-card
 * entity). One pure step; Scp03HostSession only moves through it.
 *
 *   IDLE --SEND_INITIALIZE_UPDATE--> INIT_SENT --CARD_CRYPTOGRAM_OK--> CARD_VERIFIED
 *     --SEND_EXTERNAL_AUTHENTICATE--> EXT_AUTH_SENT --EXTERNAL_AUTHENTICATE_OK--> AUTHENTICATED
 *   AUTHENTICATED --PROTECT--> AUTHENTICATED (wrap a command / unwrap its response)
 *   any state --FAIL or CLOSE--> CLOSED; any state --SEND_INITIALIZE_UPDATE--> INIT_SENT
 *   (a new INITIALIZE UPDATE terminates the current session, AmdD 5.6)
 */

export type Scp03HostState = 'IDLE' | 'INIT_SENT' | 'CARD_VERIFIED' | 'EXT_AUTH_SENT' | 'AUTHENTICATED' | 'CLOSED';

export type Scp03HostEvent =
  | 'SEND_INITIALIZE_UPDATE'
  | 'CARD_CRYPTOGRAM_OK'
  | 'SEND_EXTERNAL_AUTHENTICATE'
  | 'EXTERNAL_AUTHENTICATE_OK'
  | 'PROTECT'
  | 'FAIL'
  | 'CLOSE';

/** What step() answers for an event the state does not accept. */
export type Scp03HostStepResult = Scp03HostState | 'ILLEGAL';

export function scp03HostStep(state: Scp03HostState, event: Scp03HostEvent): Scp03HostStepResult {
  switch (event) {
    case 'SEND_INITIALIZE_UPDATE':
      return 'INIT_SENT';
    case 'FAIL':
    case 'CLOSE':
      return 'CLOSED';
    case 'CARD_CRYPTOGRAM_OK':
      return state === 'INIT_SENT' ? 'CARD_VERIFIED' : 'ILLEGAL';
    case 'SEND_EXTERNAL_AUTHENTICATE':
      return state === 'CARD_VERIFIED' ? 'EXT_AUTH_SENT' : 'ILLEGAL';
    case 'EXTERNAL_AUTHENTICATE_OK':
      return state === 'EXT_AUTH_SENT' ? 'AUTHENTICATED' : 'ILLEGAL';
    case 'PROTECT':
      return state === 'AUTHENTICATED' ? 'AUTHENTICATED' : 'ILLEGAL';
    default:
      return exhaustive(event);
  }
}

function exhaustive(event: never): Scp03HostStepResult {
  throw new Error('scp03HostStep: unknown event ' + String(event));
}
