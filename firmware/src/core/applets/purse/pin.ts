/**
 * VERIFY (ISO 7816-4 §11.5.6; JR/T 0025 uses it before ED purchases): `00 20 00 00 Lc PIN`, the
 * PIN packed BCD, an odd digit count padded with F. Lc 0 asks for the tries left (63Cx).
 * The try is spent on flash before the comparison (purse-store.ts spendTry), so cutting the power
 * after a wrong PIN does not give the try back.
 */
import { shr } from '../../bits';
import { equalCt } from '../../bytes';
import type { CommandApdu } from '../../apdu';
import { KEY_TYPE_PIN, PIN_TRY_LIMIT, ST_PIN_TRIES } from './records';
import { SW } from '../../sw';
import type { PurseCard } from './purse-card';

const SW_TRIES_LEFT = 0x63c0;
const PIN_MAX_BYTES = 6;

export function verifyPin(card: PurseCard): number {
  const cmd = card.cmd as CommandApdu;
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) return SW.ERR_WRONG_P1P2;
  const st = card.store;
  if (!st.findKey(KEY_TYPE_PIN, KEY_TYPE_PIN, 0)) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
  // The PIN entry's version byte is its digit count; its value the packed PIN.
  const pinBytes = shr(st.keyVersion + 1, 1);
  const tries = st.state[ST_PIN_TRIES];
  let sw: number = SW.OK;
  if (tries === 0) sw = SW.ERR_AUTH_METHOD_BLOCKED;
  else if (cmd.lc === 0) sw = SW_TRIES_LEFT | tries;
  else if (cmd.lc < 2 || cmd.lc > PIN_MAX_BYTES) sw = SW.ERR_CHECKING_WRONG_LENGTH;
  else sw = st.spendPinTry();
  if (sw === SW.OK) {
    const good = cmd.lc === pinBytes && equalCt(st.key, 0, cmd.buf, cmd.dataOff, pinBytes);
    if (good) {
      st.stage();
      st.next[ST_PIN_TRIES] = PIN_TRY_LIMIT;
      sw = st.commitState();
      card.pinVerified = sw === SW.OK;
    } else {
      card.pinVerified = false;
      sw = SW_TRIES_LEFT | st.state[ST_PIN_TRIES];
    }
  }
  st.wipeKey();
  return sw;
}
