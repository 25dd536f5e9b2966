/**
 * One link key set: KIc (AES-CBC ciphering) and KID (AES-CMAC checksum) of ETSI TS 102 225
 * §5.1.2-§5.1.3, announced in packets by a key index 1..15. The caller keys the ciphers (from the
 * provisioning bundle on the device, from the platform's key store on the platform) and wipes them
 * when the key set is retired; a cipher is keyed before the key set is made and never re-keyed
 * while it serves (the checksum keeps KID's CMAC subkeys from one packet to the next). Keys are
 * never logged; log a KCV (crypto/kcv.ts) instead.
 */
import { BlockCipher } from '../crypto/block-cipher';
import { Cmac } from '../crypto/cmac';
import { KEY_ALGO_AES, keyIdentifier } from './spi';

export class LinkKeyset {
  /** Keyed with KIc. */
  readonly kic: BlockCipher;
  /** Keyed with KID. */
  readonly kid: BlockCipher;
  /** CMAC over kid. */
  readonly mac: Cmac;
  /** The KIc and KID octets this key set goes by (key index, AES). */
  readonly kicOctet: number;
  readonly kidOctet: number;

  constructor(kic: BlockCipher, kid: BlockCipher, keyIndex: number) {
    if (kic.blockSize !== 16 || kid.blockSize !== 16) throw new Error('LinkKeyset: KIc and KID must be AES ciphers');
    if (keyIndex < 1 || keyIndex > 15) throw new Error('LinkKeyset: key index must be 1..15, got ' + keyIndex);
    this.kic = kic;
    this.kid = kid;
    this.mac = new Cmac(kid);
    this.kicOctet = keyIdentifier(keyIndex, KEY_ALGO_AES);
    this.kidOctet = keyIdentifier(keyIndex, KEY_ALGO_AES);
  }

  wipe(): void {
    this.kic.wipe();
    this.kid.wipe();
    this.mac.wipe();
  }
}
