/**
 * PBOC crypto on the portable DES engines, for hosts (issuers, terminals, tests) that do not
 * bring their own. Kept apart from pboc.ts so a board bundle that passes its own engines does not
 * carry SoftDes and its tables.
 */
import { SoftDes, SoftTripleDes } from './des';
import { PbocCrypto } from './pboc';

export function softPbocCrypto(): PbocCrypto {
  return new PbocCrypto(new SoftDes(), new SoftTripleDes());
}
