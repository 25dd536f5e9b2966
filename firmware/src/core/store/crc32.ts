/**
 * CRC-32/ISO-HDLC, the CRC of IEEE 802.3 and zlib: polynomial 0x04C11DB7 taken reflected
 * (0xEDB88320), initial value and final XOR 0xFFFFFFFF (the CRC RevEng catalogue's
 * "CRC-32/ISO-HDLC"; check value 0xCBF43926 over "123456789"). The store's records carry it from
 * layout 4 on (docs/store.md): a board computes it with one native call (Espruino's E.CRC32,
 * board/espruino/espruino-api.ts), and this portable one serves the host and Lua.
 *
 * The register never becomes a number: it is kept as its four bytes (r0 the lowest), so every
 * value stays below 2^8 (docs/portable-core.md). Bytewise from four 256-byte tables, one per byte
 * of the reflected table entry T[x]: with x = r0 XOR input, the next register is
 * (r1 ^ T0[x], r2 ^ T1[x], r3 ^ T2[x], T3[x]). The tables are built on first use, so a board that
 * has a native CRC-32 never holds them.
 */
import { shr } from '../bits';

/**
 * Writes the CRC-32 of data[off .. off+len) to out[outOff .. outOff+4), most significant byte
 * first. The core's port for it: a board supplies a native one (store.ts Store's crc32 argument).
 */
export type Crc32 = (data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number) => void;

/** tables[k * 256 + x]: byte k (0 = lowest) of the reflected table entry for x. */
let tables: Uint8Array | null = null;

function buildTables(): Uint8Array {
  const t = new Uint8Array(1024);
  for (let x = 0; x < 256; x++) {
    // The 32-bit register as two 16-bit halves, shifted right one bit a step.
    let lo = x;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = shr(lo, 1) | ((hi & 1) << 15);
      hi = shr(hi, 1);
      if (carry !== 0) {
        lo = lo ^ 0x8320;
        hi = hi ^ 0xedb8;
      }
    }
    t[x] = lo & 0xff;
    t[256 + x] = shr(lo, 8);
    t[512 + x] = hi & 0xff;
    t[768 + x] = shr(hi, 8);
  }
  return t;
}

/** The portable Crc32. */
export function crc32(data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
  let t = tables;
  if (t === null) {
    t = buildTables();
    tables = t;
  }
  let r0 = 0xff;
  let r1 = 0xff;
  let r2 = 0xff;
  let r3 = 0xff;
  for (let i = off; i < off + len; i++) {
    const x = r0 ^ data[i];
    r0 = r1 ^ t[x];
    r1 = r2 ^ t[256 + x];
    r2 = r3 ^ t[512 + x];
    r3 = t[768 + x];
  }
  out[outOff] = (r3 ^ 0xff) & 0xff;
  out[outOff + 1] = (r2 ^ 0xff) & 0xff;
  out[outOff + 2] = (r1 ^ 0xff) & 0xff;
  out[outOff + 3] = (r0 ^ 0xff) & 0xff;
}
