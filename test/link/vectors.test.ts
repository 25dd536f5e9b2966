/**
 * One generic round trip over every link codec's VECTORS: decoding the hex gives the listed
 * fields, encoding the fields gives the hex back (STYLE.md "vectors beside the codec").
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { CommandHeader, CommandOpener, sealCommand } from '../../firmware/src/core/link/command-packet';
import { ResponseOpener, RESPONSE, sealClearResponse, sealResponse } from '../../firmware/src/core/link/response-packet';
import { POR } from '../../firmware/src/core/link/por-status';
import { COMMAND_VECTORS, RESPONSE_VECTORS } from '../../firmware/src/core/link/secured-packet.vectors';
import { Spi, decodeSpi, encodeSpi } from '../../firmware/src/core/link/spi';
import { VECTORS as SPI_VECTORS } from '../../firmware/src/core/link/spi.vectors';
import { FrameHeader, parseUdh, writeUdh } from '../../firmware/src/core/link/udh';
import { VECTORS as UDH_VECTORS } from '../../firmware/src/core/link/udh.vectors';
import { MemoryCounterStore, keysetFromHex } from './_link-fixtures';

/** A codec seen by the round trip: fields out of bytes, bytes out of fields. */
interface RoundTrip<V> {
  vectors: V[];
  decode(bytes: Uint8Array, v: V): Record<string, unknown>;
  encode(v: V): Uint8Array;
  fields(v: V): Record<string, unknown>;
}

const udh: RoundTrip<(typeof UDH_VECTORS)[number]> = {
  vectors: UDH_VECTORS,
  decode(bytes) {
    const h = new FrameHeader();
    expect(parseUdh(bytes, 0, bytes.length, h)).toBe(true);
    return { refWidth: h.refWidth, ref: h.ref, total: h.total, seq: h.seq, packetId: h.packetId, data: toHex(bytes, h.dataOff, h.dataLen) };
  },
  encode(v) {
    const out = new Uint8Array(200);
    const n = writeUdh(v.refWidth, v.ref, v.total, v.seq, v.packetId === 0 ? 0x70 : v.packetId, out, 0);
    const data = fromHex(v.data);
    out.set(data, n);
    return out.subarray(0, n + data.length);
  },
  fields: (v) => ({ refWidth: v.refWidth, ref: v.ref, total: v.total, seq: v.seq, packetId: v.packetId, data: v.data }),
};

const spi: RoundTrip<(typeof SPI_VECTORS)[number]> = {
  vectors: SPI_VECTORS,
  decode(bytes) {
    return { ...decodeSpi(bytes[0], bytes[1], new Spi()) };
  },
  encode(v) {
    const s = Object.assign(new Spi(), spiFields(v));
    const out = new Uint8Array(2);
    encodeSpi(s, out, 0);
    return out;
  },
  fields: (v) => spiFields(v),
};

function spiFields(v: (typeof SPI_VECTORS)[number]): Record<string, unknown> {
  return {
    checksum: v.checksum,
    ciphered: v.ciphered,
    counter: v.counter,
    por: v.por,
    porChecksum: v.porChecksum,
    porCiphered: v.porCiphered,
    porInSubmit: v.porInSubmit,
  };
}

const command: RoundTrip<(typeof COMMAND_VECTORS)[number]> = {
  vectors: COMMAND_VECTORS,
  decode(bytes, v) {
    const opener = new CommandOpener(512);
    // The receiver last accepted the counter just below the vector's.
    const below = BigInt('0x' + v.cntr) - 1n;
    const store = new MemoryCounterStore(below.toString(16).padStart(10, '0'));
    const status = opener.open(bytes, 0, bytes.length, { acceptsTar: () => true, keys: keysetFromHex(), counter: store });
    expect(status).toBe(POR.OK);
    return {
      spi1: opener.spi1,
      spi2: opener.spi2,
      tar: opener.tar,
      cntr: toHex(opener.cntr),
      pcntr: opener.data[15],
      data: toHex(opener.data, opener.dataOff, opener.dataLen),
    };
  },
  encode(v) {
    const h = new CommandHeader();
    h.spi1 = v.spi1;
    h.spi2 = v.spi2;
    h.tar = v.tar;
    const data = fromHex(v.data);
    const out = new Uint8Array(512);
    const n = sealCommand(h, keysetFromHex(), fromHex(v.cntr), 0, data, 0, data.length, out, 0);
    return out.subarray(0, n);
  },
  fields: (v) => ({ spi1: v.spi1, spi2: v.spi2, tar: v.tar, cntr: v.cntr, pcntr: v.pcntr, data: v.data }),
};

const response: RoundTrip<(typeof RESPONSE_VECTORS)[number]> = {
  vectors: RESPONSE_VECTORS,
  decode(bytes) {
    const opener = new ResponseOpener(512);
    const code = opener.open(bytes, 0, bytes.length, keysetFromHex());
    const secured = code === RESPONSE.VERIFIED;
    expect(secured || code === RESPONSE.CLEAR).toBe(true);
    return {
      secured,
      tar: opener.tar,
      cntr: toHex(opener.cntr),
      pcntr: secured ? opener.data[11] : bytes[11],
      status: opener.status,
      data: toHex(opener.data, opener.dataOff, opener.dataLen),
    };
  },
  encode(v) {
    const out = new Uint8Array(512);
    if (!v.secured) return out.subarray(0, sealClearResponse(v.tar, v.status, out, 0));
    const data = fromHex(v.data);
    return out.subarray(0, sealResponse(keysetFromHex(), v.tar, fromHex(v.cntr), 0, v.status, data, 0, data.length, out, 0));
  },
  fields: (v) => ({ secured: v.secured, tar: v.tar, cntr: v.cntr, pcntr: v.pcntr, status: v.status, data: v.data }),
};

const CODECS: Record<string, RoundTrip<{ name: string; hex: string }>> = {
  udh: udh as RoundTrip<{ name: string; hex: string }>,
  spi: spi as RoundTrip<{ name: string; hex: string }>,
  'command packet': command as RoundTrip<{ name: string; hex: string }>,
  'response packet': response as RoundTrip<{ name: string; hex: string }>,
};

describe('link codec vectors round-trip', () => {
  for (const [codec, rt] of Object.entries(CODECS)) {
    for (const v of rt.vectors) {
      it(`${codec}: ${v.name}`, () => {
        expect(rt.decode(fromHex(v.hex), v)).toEqual(rt.fields(v));
        expect(toHex(rt.encode(v))).toBe(v.hex);
      });
    }
  }
});
