/**
 * The bank e-cash card (package class 02): the PBOC / JR/T 0025 electronic deposit (ED, P2 01) and
 * electronic purse (EP, P2 02) with the bank's own keys and AID. When the package carries a PIN,
 * an ED purchase needs VERIFY first (JR/T 0025 e-purse commands).
 */
import { APP_CLASS_ECASH } from '../se/package-header';
import { makePurseClass } from './purse/purse-class';
import { FLAG_ED, FLAG_EP } from './purse/records';

/** SFI 15 byte 8 (application type) of a bank e-cash card. */
export const APP_TYPE_ECASH = 0x02;

export const ecashAppletClass = makePurseClass({
  classId: APP_CLASS_ECASH,
  name: 'ecash',
  appType: APP_TYPE_ECASH,
  purses: FLAG_ED | FLAG_EP,
});
