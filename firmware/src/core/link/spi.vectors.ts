/**
 * SPI vectors (ETSI TS 102 225 §5.1.1, TS 31.115 §4). 0619 and 1619 are the SPIs of the pySim
 * docs/smpp-ota-tool.rst transcripts (without and with "counter must be higher"); 1639 is the link's
 * own (link.md), 1e39 its "exactly one higher" variant. Only tests import this file.
 */
export interface SpiVector {
  name: string;
  source: string;
  hex: string;
  checksum: number;
  ciphered: boolean;
  counter: number;
  por: number;
  porChecksum: number;
  porCiphered: boolean;
  porInSubmit: boolean;
}

export const VECTORS: SpiVector[] = [
  {
    name: 'CC + ciphering, no counter; PoR always, CC, ciphered, in DELIVER-REPORT',
    source: 'pySim docs/smpp-ota-tool.rst (MSL 06 example)',
    hex: '0619',
    checksum: 2,
    ciphered: true,
    counter: 0,
    por: 1,
    porChecksum: 2,
    porCiphered: true,
    porInSubmit: false,
  },
  {
    name: 'as above with counter must be higher',
    source: 'pySim docs/smpp-ota-tool.rst (--cntr-req counter_must_be_higher)',
    hex: '1619',
    checksum: 2,
    ciphered: true,
    counter: 2,
    por: 1,
    porChecksum: 2,
    porCiphered: true,
    porInSubmit: false,
  },
  {
    name: 'link default: CC, ciphered, counter higher; PoR always, CC, ciphered, SMS-SUBMIT',
    source: 'TS 102 225 §5.1.1 coding; docs/link.md',
    hex: '1639',
    checksum: 2,
    ciphered: true,
    counter: 2,
    por: 1,
    porChecksum: 2,
    porCiphered: true,
    porInSubmit: true,
  },
  {
    name: 'counter exactly one higher, PoR on error only, clear',
    source: 'TS 102 225 §5.1.1 coding',
    hex: '1e22',
    checksum: 2,
    ciphered: true,
    counter: 3,
    por: 2,
    porChecksum: 0,
    porCiphered: false,
    porInSubmit: true,
  },
];
