/**
 * Frame header vectors: hex of one whole frame and its decoded header. The two single-frame
 * vectors are SMS-TPDU user data from pySim docs/smpp-ota-tool.rst (a sysmoISIM-SJA2 exchange);
 * the concatenated ones follow the layout of GSM 03.48 table 7 (UDHL 07 in the first part) and
 * TS 23.040 §9.2.3.24.1/.8, with made-up references and data. Only tests import this file.
 */
export interface UdhVector {
  name: string;
  source: string;
  hex: string;
  refWidth: number;
  ref: number;
  total: number;
  seq: number;
  /** 0x70, 0x71, or 0 in a part after the first. */
  packetId: number;
  /** The frame's user data after the header. */
  data: string;
}

export const VECTORS: UdhVector[] = [
  {
    name: 'single command packet (CPI only)',
    source: 'pySim docs/smpp-ota-tool.rst, first SMS-TPDU sent',
    hex: '02700000281506191515b00010da1d6cbbd0d11ce4330d844c7408340943e843f67a6d7b0674730881605fd62d',
    refWidth: 0,
    ref: 0,
    total: 1,
    seq: 1,
    packetId: 0x70,
    data: '00281506191515b00010da1d6cbbd0d11ce4330d844c7408340943e843f67a6d7b0674730881605fd62d',
  },
  {
    name: 'single response packet (RPI only), status 06',
    source: 'pySim docs/smpp-ota-tool.rst, PoR to the replayed counter',
    hex: '027100000b0ab0001000000000000006',
    refWidth: 0,
    ref: 0,
    total: 1,
    seq: 1,
    packetId: 0x71,
    data: '000b0ab0001000000000000006',
  },
  {
    name: 'concatenated, 8-bit reference, first part with CPI',
    source: 'GSM 03.48 table 7 layout (UDHL 07: IEI 00 + IEI 70)',
    hex: '0700032a0301700000aabb',
    refWidth: 8,
    ref: 0x2a,
    total: 3,
    seq: 1,
    packetId: 0x70,
    data: '00aabb',
  },
  {
    name: 'concatenated, 8-bit reference, later part',
    source: 'TS 23.040 §9.2.3.24.1',
    hex: '0500032a0302ccdd',
    refWidth: 8,
    ref: 0x2a,
    total: 3,
    seq: 2,
    packetId: 0,
    data: 'ccdd',
  },
  {
    name: 'concatenated, 16-bit reference, first part with RPI',
    source: 'TS 23.040 §9.2.3.24.8 with the RPI of TS 31.115 §4.2',
    hex: '0808041234020171000011',
    refWidth: 16,
    ref: 0x1234,
    total: 2,
    seq: 1,
    packetId: 0x71,
    data: '0011',
  },
  {
    name: 'concatenated, 16-bit reference, last part',
    source: 'TS 23.040 §9.2.3.24.8',
    hex: '060804123402020102',
    refWidth: 16,
    ref: 0x1234,
    total: 2,
    seq: 2,
    packetId: 0,
    data: '0102',
  },
];
