/**
 * Vector files built from the codecs' own VECTORS (STYLE.md "vectors beside the codec"), so each
 * codec vector is also replayed on the Lua build: decode the published bytes, and encode the
 * decoded fields back. The Node tests of each codec pin the answers to the vectors; here Lua must
 * give Node's answers.
 */
import * as pn532 from '../../firmware/src/core/pn532/frame.vectors';
import * as spi from '../../firmware/src/core/link/spi.vectors';
import * as udh from '../../firmware/src/core/link/udh.vectors';
import { FRAME_BUFFER_SIZE, pdOffsetFor } from '../../firmware/src/core/pn532/frame';
import type { VectorCase, VectorFile } from './conformance';

const zeros = (n: number): { u8: string } => ({ u8: '00'.repeat(n) });
const bytes = (hex: string): { u8: string } => ({ u8: hex });

function pn532Frames(): VectorFile {
  const decodeOnly = [
    { name: 'error frame', hex: pn532.ERROR_FRAME_HEX },
    { name: 'ACK', hex: pn532.ACK_HEX },
    { name: 'NACK', hex: pn532.NACK_HEX },
  ];
  const cases: VectorCase[] = pn532.VECTORS.map((v) => {
    const pdLength = v.pd.length / 2;
    return {
      name: v.name,
      steps: [
        { new: 'core/pn532/frame#FrameInfo', as: 'info' },
        { call: 'core/pn532/frame#decodeFrame', args: [bytes(v.hex), 0, v.hex.length / 2, { ref: 'info' }] },
        { let: 'out', value: zeros(FRAME_BUFFER_SIZE) },
        { call: 'core/bytes#copy', args: [bytes(v.pd), 0, { ref: 'out' }, pdOffsetFor(pdLength), pdLength] },
        { call: 'core/pn532/frame#encodeFrame', args: [{ ref: 'out' }, v.tfi, pdLength] },
      ],
    };
  });
  for (const v of decodeOnly) {
    cases.push({
      name: v.name,
      steps: [
        { new: 'core/pn532/frame#FrameInfo', as: 'info' },
        { call: 'core/pn532/frame#decodeFrame', args: [bytes(v.hex), 0, v.hex.length / 2, { ref: 'info' }] },
      ],
    });
  }
  cases.push({
    name: 'ACK and NACK encoding',
    steps: [
      { call: 'core/pn532/frame#encodeAck', args: [zeros(8), 1] },
      { call: 'core/pn532/frame#encodeNack', args: [zeros(8), 1] },
    ],
  });
  return { title: 'PN532 frames (core/pn532/frame)', source: 'firmware/src/core/pn532/frame.vectors.ts', cases };
}

function udhFrames(): VectorFile {
  const cases: VectorCase[] = udh.VECTORS.map((v) => ({
    name: v.name,
    steps: [
      { new: 'core/link/udh#FrameHeader', as: 'h' },
      { call: 'core/link/udh#parseUdh', args: [bytes(v.hex), 0, v.hex.length / 2, { ref: 'h' }] },
      { call: 'core/link/udh#writeUdh', args: [v.refWidth, v.ref, v.total, v.seq, v.packetId, zeros(16), 0] },
    ],
  }));
  return { title: 'SMS-PP frame headers (core/link/udh)', source: 'firmware/src/core/link/udh.vectors.ts', cases };
}

function spiOctets(): VectorFile {
  const cases: VectorCase[] = spi.VECTORS.map((v) => ({
    name: v.name,
    steps: [
      { new: 'core/link/spi#Spi', as: 'spi' },
      { call: 'core/link/spi#decodeSpi', args: [parseInt(v.hex.slice(0, 2), 16), parseInt(v.hex.slice(2, 4), 16), { ref: 'spi' }] },
      { call: 'core/link/spi#encodeSpi', args: [{ ref: 'spi' }, zeros(2), 0] },
    ],
  }));
  // The table itself, as the Lua build compiled it (module core.link.spi_vectors).
  cases.push({ name: 'the vector table', steps: [{ get: 'core/link/spi.vectors#VECTORS' }] });
  return { title: 'Security parameter indicator (core/link/spi)', source: 'firmware/src/core/link/spi.vectors.ts', cases };
}

/** Generated vector files by name, replayed next to test/lua/vectors/*.json. */
export function codecVectorFiles(): Record<string, VectorFile> {
  return { 'pn532-frame': pn532Frames(), 'link-udh': udhFrames(), 'link-spi': spiOctets() };
}
