/**
 * The city transit card (package class 01): a PBOC / JR/T 0025 electronic purse (EP only) as
 * T-Union cards carry it (JR/T 0025). Loads and purchases are authorised by the transit issuer's
 * keys, diversified per card (package/card-keys.ts).
 */
import { APP_CLASS_TRANSIT } from '../se/package-header';
import { makePurseClass } from './purse/purse-class';
import { FLAG_EP } from './purse/records';

/** SFI 15 byte 8 (application type) of a transit card. */
export const APP_TYPE_TRANSIT = 0x01;

export const transitAppletClass = makePurseClass({
  classId: APP_CLASS_TRANSIT,
  name: 'transit',
  appType: APP_TYPE_TRANSIT,
  purses: FLAG_EP,
});
