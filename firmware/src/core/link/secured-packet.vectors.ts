/**
 * Secured command and response packet vectors, AES (KIc 12 / KID 12: key index 1, AES-CBC and
 * AES-CMAC). Keys are test keys, never deployed: KIc 40..4F (the GlobalPlatform default test key)
 * and KID 50..5F. No published AES SMS-PP transcript exists in the references, so these were
 * produced by this codec and are checked in test/link/secured-packet.test.ts against an
 * independent AES-CBC / AES-CMAC built on node:crypto; the field layout they follow is checked on
 * pySim's published 3DES transcripts (docs/smpp-ota-tool.rst) in the same test.
 * Only tests import this file.
 */
export const TEST_KIC = '404142434445464748494a4b4c4d4e4f';
export const TEST_KID = '505152535455565758595a5b5c5d5e5f';
export const TEST_KEY_INDEX = 1;

export interface CommandVector {
  name: string;
  source: string;
  /** The packet from CPL on (the frame's UDH 02 70 00 not included). */
  hex: string;
  spi1: number;
  spi2: number;
  tar: number;
  cntr: string;
  /** PCNTR after deciphering. */
  pcntr: number;
  data: string;
}

export interface ResponseVector {
  name: string;
  source: string;
  /** The packet from RPL on (the frame's UDH 02 71 00 not included). */
  hex: string;
  secured: boolean;
  tar: number;
  cntr: string;
  pcntr: number;
  status: number;
  data: string;
}

export const COMMAND_VECTORS: CommandVector[] = [
  {
    name: 'GET STATUS to the ISD (TAR 000000), counter 1',
    source: 'computed; TS 102 225 §5.1 layout',
    hex: '0028151639121200000014b5e3ef4a9da8697bec9a8dacb620a114c83c88a08a8cd99135faa668b13565',
    spi1: 0x16,
    spi2: 0x39,
    tar: 0,
    cntr: '0000000001',
    pcntr: 11,
    data: '80f28000024f00',
  },
  {
    name: 'no secured data, counter 2 (two padding octets)',
    source: 'computed; TS 102 225 §5.1 layout',
    hex: '00181516391212000000c95be8ad6c31638bedfffffe6cc96be2',
    spi1: 0x16,
    spi2: 0x39,
    tar: 0,
    cntr: '0000000002',
    pcntr: 2,
    data: '',
  },
  {
    name: 'LOAD block header + 16 octets, counter 255 (spans three AES blocks)',
    source: 'computed; TS 102 225 §5.1 layout',
    hex: '003815163912120000002410be8ca54eedf48a1dcbb0318e7ea79494f88f00d5e8bb4cb129fb53d354ab9af2d62b42da3342bfdf632c037a0159',
    spi1: 0x16,
    spi2: 0x39,
    tar: 0,
    cntr: '00000000ff',
    pcntr: 14,
    data: '84e800f0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  },
];

export const RESPONSE_VECTORS: ResponseVector[] = [
  {
    name: 'secured PoR OK to counter 1 carrying a compact remote response (1 command, 9000)',
    source: 'computed; TS 102 225 §5.2 layout, TS 102 226 §5.1.2 compact response',
    hex: '00241200000066a62d69d94a14f6d6521f467780fc4b2dd33609d4a72fc2c500f71a933d50dc',
    secured: true,
    tar: 0,
    cntr: '0000000001',
    pcntr: 14,
    status: 0,
    data: '019000',
  },
  {
    name: 'clear PoR: TAR unknown',
    source: 'TS 102 225 §5.2 layout without CC (as the PoR in pySim docs/smpp-ota-tool.rst)',
    hex: '000b0a00000000000000000009',
    secured: false,
    tar: 0,
    cntr: '0000000000',
    pcntr: 0,
    status: 9,
    data: '',
  },
];
